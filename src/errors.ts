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
  }
}

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
