/**
 * The operation observer: `registry.onOperation(listener)` hears one event after every core
 * operation (lookup, insert, delete, list), whatever surface made it — KVStore, the admin API, the
 * REST server, the app host. Explorer's operation log and the app hosts read it. Costs nothing while
 * nobody listens: the core checks one field and takes its usual path.
 */
import { isPromise, type MaybePromise, type StoredRecord } from "./drivers/driver.js";
import { KVError } from "./errors.js";
import type { InsertMode, Operation } from "./core.js";

export interface OperationEvent {
  store: string;
  operation: Operation;
  /** lookup / insert / delete. */
  key?: string;
  /** list. */
  prefix?: string;
  /** When the operation started: ms since the epoch on the wall clock (Date.now()), not the store's (possibly fake) clock. */
  startedAt: number;
  durationMs: number;
  outcome: "ok" | "not-found" | "precondition-failed" | "error";
  /** What the operation failed with (precondition failures included). */
  error?: { name: string; message: string };
  /** insert. */
  mode?: InsertMode;
  /** The generation of the record written or read. */
  generation?: number;
  /** Value bytes written or read. */
  size?: number;
  /** From the active context provider (the app host sets { requestId }). */
  context?: Record<string, unknown>;
}

export type OperationListener = (event: OperationEvent) => void;
export type OperationContextProvider = () => Record<string, unknown> | undefined;

let contextProvider: OperationContextProvider | null = null;

/**
 * Installs the function whose result every later event carries as `context` (the app host installs
 * one backed by AsyncLocalStorage, so events name the request that made them). `null` removes it.
 * Returns the previous provider.
 */
export function setOperationContextProvider(provider: OperationContextProvider | null): OperationContextProvider | null {
  if (provider !== null && typeof provider !== "function") {
    throw new TypeError("edge-kv: setOperationContextProvider expects a function returning an object (or undefined), or null");
  }
  const previous = contextProvider;
  contextProvider = provider;
  return previous;
}

/** What an event says about the operation besides its outcome. */
export interface EventSubject {
  operation: Operation;
  key?: string | undefined;
  prefix?: string | undefined;
  mode?: InsertMode | undefined;
}

/**
 * Runs `run` and reports it to `emit` once it settles. `describe` turns a successful result into
 * the event's outcome, generation and size.
 */
export function observe<T>(
  store: string,
  emit: OperationListener,
  subject: EventSubject,
  run: () => MaybePromise<T>,
  describe: (result: T) => Pick<OperationEvent, "outcome" | "generation" | "size">,
): MaybePromise<T> {
  const startedAt = Date.now();
  const started = performance.now();
  let context: Record<string, unknown> | undefined;
  if (contextProvider !== null) {
    try {
      context = contextProvider() ?? undefined;
    } catch {
      context = undefined; // a broken provider must not break the store
    }
  }
  const report = (fields: Pick<OperationEvent, "outcome" | "generation" | "size" | "error">) => {
    const event: OperationEvent = { store, operation: subject.operation, startedAt, durationMs: performance.now() - started, outcome: fields.outcome };
    if (subject.key !== undefined) event.key = subject.key;
    if (subject.prefix !== undefined) event.prefix = subject.prefix;
    if (subject.mode !== undefined) event.mode = subject.mode;
    if (fields.generation !== undefined) event.generation = fields.generation;
    if (fields.size !== undefined) event.size = fields.size;
    if (fields.error !== undefined) event.error = fields.error;
    if (context !== undefined) event.context = context;
    emit(event);
  };
  const succeeded = (result: T): T => {
    report(describe(result));
    return result;
  };
  const failed = (error: unknown): never => {
    report(failure(error));
    throw error;
  };
  let result: MaybePromise<T>;
  try {
    result = run();
  } catch (error) {
    return failed(error);
  }
  return isPromise(result) ? result.then(succeeded, failed) : succeeded(result);
}

function failure(error: unknown): Pick<OperationEvent, "outcome" | "error"> {
  const code = error instanceof KVError ? error.code : null;
  const outcome = code === "precondition-failed" ? "precondition-failed" : code === "not-found" ? "not-found" : "error";
  const described =
    error instanceof Error ? { name: error.name, message: error.message } : { name: typeof error, message: String(error) };
  return { outcome, error: described };
}

/** Event fields of a lookup result. */
export function describeRecord(record: StoredRecord | null): Pick<OperationEvent, "outcome" | "generation" | "size"> {
  return record === null ? { outcome: "not-found" } : { outcome: "ok", generation: record.generation, size: record.value.byteLength };
}

/** Event fields of a written record. */
export function describeWritten(record: StoredRecord): Pick<OperationEvent, "outcome" | "generation" | "size"> {
  return { outcome: "ok", generation: record.generation, size: record.value.byteLength };
}

/** Event fields of a delete (false: nothing live was there). */
export function describeDeleted(deleted: boolean): Pick<OperationEvent, "outcome"> {
  return { outcome: deleted ? "ok" : "not-found" };
}

/** Event fields of a list. */
export function describeListed(): Pick<OperationEvent, "outcome"> {
  return { outcome: "ok" };
}

/** A set of listeners behind one emit function; a listener that throws is reported and skipped, never breaks the store. */
export class OperationListeners {
  #listeners: OperationListener[] = [];

  get size(): number {
    return this.#listeners.length;
  }

  add(listener: OperationListener): () => void {
    if (typeof listener !== "function") throw new TypeError("edge-kv: onOperation expects a function (event) => void");
    this.#listeners = [...this.#listeners, listener];
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      const index = this.#listeners.indexOf(listener);
      if (index >= 0) this.#listeners = this.#listeners.filter((_, i) => i !== index);
    };
  }

  readonly emit: OperationListener = (event) => {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error("edge-kv: an onOperation listener threw (the operation itself was not affected):", error);
      }
    }
  };
}
