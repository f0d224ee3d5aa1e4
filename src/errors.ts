import { KVErrorDetails, type KVErrorCode } from "./messages.js";

/**
 * A failure reported by a store (the "host" side): precondition failed, not found, too many
 * requests... Surfaces translate it: `KVStore` into `TypeError: KVStore insert: Precondition failed.`,
 * the REST server into a status code.
 */
export class KVError extends Error {
  readonly code: KVErrorCode;
  constructor(code: KVErrorCode, message: string = KVErrorDetails[code]) {
    super(message);
    this.name = "KVError";
    this.code = code;
    // The class names of this error (LimitExceededError, KVError), so another copy of edge-kv in the
    // process recognises it: its KVStore translates a store error raised by this copy's core.
    const classes: string[] = [];
    for (let c: Function | null = new.target; c !== null && c !== Error && c !== Function.prototype; c = Object.getPrototypeOf(c)) classes.push(c.name);
    Object.defineProperty(this, ERROR_CLASSES, { value: classes });
  }

  /** `instanceof` also matches errors made by another copy of edge-kv (same class name in its chain). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const classes = value !== null && typeof value === "object" ? (value as Record<symbol, unknown>)[ERROR_CLASSES] : undefined;
    return Array.isArray(classes) && classes.includes(this.name);
  }
}

const ERROR_CLASSES = Symbol.for("edge-kv.error-classes");

/**
 * Wrong use of edge-kv itself (unknown store, bad driver option, unusable folder, bad config).
 * The message says what was wrong, where, and what to do.
 */
export class EdgeKvError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message.startsWith("edge-kv") ? message : `edge-kv: ${message}`, options);
    this.name = "EdgeKvError";
  }
}
