/**
 * KVStore: the `fastly:kv-store` surface. It converts and validates arguments exactly as the Compute
 * runtime does — including which errors are thrown synchronously and which come back as rejected
 * promises — calls the core, and translates the core's KVErrors into the runtime's TypeErrors.
 * It holds no storage logic.
 */
import { decodeCursor, encodeCursor } from "./admin.js";
import { INSERT_MODES, type InsertMode, type StoreCore } from "./core.js";
import { isPromise, type StoredRecord } from "./drivers/driver.js";
import { createEntry, type KVStoreEntry } from "./entry.js";
import { KVError } from "./errors.js";
import { KVLimits } from "./limits.js";
import { KVErrorDetails, Messages } from "./messages.js";
import { getRegistry } from "./registry.js";
import { keyError, storeNameError, viceroyRejectsKey } from "./rules.js";
import { fixShape } from "./shape.js";
import { isInitializing } from "./compute/context.js";
import { classifyStream, isBodyTaken, markBodyTaken } from "./compute/bodies.js";
import { ComputeMessages } from "./compute/messages.js";
import { concatBytes } from "./bytes.js";
import { encodeUtf8, encodeUtf8Transient, isValidUtf8, toWellFormed } from "./utf8.js";

export type KVStoreValue =
  | string
  | ArrayBuffer
  | ArrayBufferView
  | URLSearchParams
  | ReadableStream<Uint8Array>
  | Blob
  | FormData
  | null;

export interface KVStorePutOptions {
  /** Up to 1000 bytes by default (configurable per store). */
  metadata?: ArrayBufferView | ArrayBuffer | string;
  /** Seconds until the entry expires. */
  ttl?: number;
  mode?: InsertMode;
  /** Write only if the entry's current generation is this one. */
  gen?: number;
}

export interface KVStoreListOptions {
  prefix?: string;
  limit?: number;
  cursor?: string;
  noSync?: boolean;
}

export interface KVStoreListResult {
  list: string[];
  cursor: string | undefined;
}

export interface KVStore {
  delete(key: string): Promise<undefined>;
  get(key: string): Promise<KVStoreEntry | null>;
  put(key: string, value: KVStoreValue, options?: KVStorePutOptions): Promise<undefined>;
  /** The options object is required at run time, as on Compute (optional in the type, as in Fastly's). */
  list(options?: KVStoreListOptions): Promise<KVStoreListResult>;
}

export interface KVStoreConstructor {
  new (name: string): KVStore;
  readonly prototype: KVStore;
}

/** Attaches a private store slot to KVStore instances (function constructors cannot declare #fields). */
class Slot {
  constructor(target: object) {
    return target;
  }
}
class StoreSlot extends Slot {
  #core!: StoreCore;
  static attach(target: object, core: StoreCore): void {
    (new StoreSlot(target) as StoreSlot).#core = core;
  }
  static coreOf(receiver: unknown, method: string): StoreCore {
    if (receiver !== null && typeof receiver === "object" && #core in receiver) return (receiver as StoreSlot).#core;
    throw new TypeError(Messages.wrongReceiver(method, "KVStore"));
  }
}

// Brand checks through the built-in getters (they test internal slots, across realms too), so an
// object merely claiming a Symbol.toStringTag is converted with ToString like any other object.
const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!.get!;
const sharedByteLengthOf =
  typeof SharedArrayBuffer === "function" ? Object.getOwnPropertyDescriptor(SharedArrayBuffer.prototype, "byteLength")!.get! : null;
const lockedOf = typeof ReadableStream === "function" ? Object.getOwnPropertyDescriptor(ReadableStream.prototype, "locked")!.get! : null;
const urlSearchParamsSize = typeof URLSearchParams === "function" ? Object.getOwnPropertyDescriptor(URLSearchParams.prototype, "size")?.get : undefined;

function hasBrand(value: unknown, getter: (() => unknown) | null | undefined): boolean {
  if (getter == null || value === null || typeof value !== "object") return false;
  try {
    getter.call(value);
    return true;
  } catch {
    return false;
  }
}

function toKeyString(key: unknown): string {
  return toWellFormed(typeof key === "string" ? key : `${key as string}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && (typeof value === "object" || typeof value === "function");
}

/** Runtime TypeErrors for store failures: `KVStore insert: Precondition failed.` and the like. */
function kvTypeError(operation: "lookup" | "insert" | "delete" | "list", error: unknown): unknown {
  // Metadata over the store's limit included: the runtime does not check its size and reports the
  // store's refusal, `KVStore insert: Payload too large.` (found by test/wasm/differential.test.ts).
  if (error instanceof KVError) return new TypeError(Messages.kvError(operation, KVErrorDetails[error.code]));
  return error;
}

function KVStoreFunction(this: unknown, name?: unknown): void {
  if (isInitializing()) throw new TypeError(ComputeMessages.requestOnly("KVStore"));
  if (!new.target) throw new TypeError(Messages.constructorWithoutNew);
  if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("KVStore constructor", 1, 0));
  const storeName = toWellFormed(`${name as string}`); // names are UTF-8 encoded like keys
  const problem = storeNameError(storeName);
  if (problem) throw new TypeError(problem);
  const registry = getRegistry();
  const core = registry.lookup(storeName);
  if (!core) {
    const defined = registry.storeNames();
    throw new TypeError(Messages.storeNotFound(storeName), {
      cause: `edge-kv: no store named '${storeName}' is defined. ${defined.length ? `Defined stores: ${defined.join(", ")}.` : "No stores are defined."} Define it with defineStore('${storeName}'), in fastly.toml [local_server.kv_stores], or in the edgeKv({ stores }) plugin options.`,
    });
  }
  StoreSlot.attach(this as object, core);
}

const methods = {
  delete(key: unknown): Promise<undefined> {
    const core = StoreSlot.coreOf(this, "delete");
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("delete", 1, 0));
    const name = checkedKey(core, key, "delete_");
    if (typeof name !== "string") return name;
    const viceroy = core.settings.profile === "viceroy";
    const done = (deleted: boolean): undefined => {
      if (!deleted && !viceroy) throw new TypeError(Messages.kvError("delete", KVErrorDetails["not-found"]));
      return undefined;
    };
    try {
      const result = core.delete(name);
      if (isPromise(result)) return result.then(done, (error) => Promise.reject(kvTypeError("delete", error)));
      return Promise.resolve(done(result));
    } catch (error) {
      return Promise.reject(kvTypeError("delete", error));
    }
  },

  get(key: unknown): Promise<KVStoreEntry | null> {
    const core = StoreSlot.coreOf(this, "get");
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("get", 1, 0));
    const name = checkedKey(core, key, "get");
    if (typeof name !== "string") return name;
    try {
      const result = core.lookup(name);
      if (isPromise(result)) return result.then(toEntry, lookupFailed);
      return Promise.resolve(toEntry(result));
    } catch (error) {
      return lookupFailed(error);
    }
  },

  // `= undefined` defaults keep put.length at 1, as on Compute, without a rest array per call.
  put(key: unknown, value: unknown = undefined, options: unknown = undefined): Promise<undefined> {
    const core = StoreSlot.coreOf(this, "put");
    if (arguments.length < 2) throw new TypeError(Messages.notEnoughArguments("put", 2, arguments.length));
    const name = toKeyString(key);
    const problem = keyError(name);
    if (problem) throw new TypeError(problem);

    let ttlSeconds: number | undefined;
    let metadataInput: unknown;
    let mode: InsertMode = "overwrite";
    let gen: number | undefined;
    if (isObject(options)) {
      const ttl = options.ttl;
      if (ttl !== undefined) ttlSeconds = toTtlSeconds(ttl);
      const genInput = options.gen;
      if (genInput !== undefined && genInput !== null) {
        // The runtime refuses only a non-number and 0 (-0 too); any other number goes to the store
        // as an unsigned 64-bit integer (test/wasm/fuzz-differential.test.ts).
        if (typeof genInput !== "number" || genInput === 0) return Promise.reject(new TypeError(Messages.genNotInteger));
        gen = toUint64(genInput);
      }
      metadataInput = options.metadata;
      const modeInput = options.mode;
      if (modeInput !== undefined) {
        const modeName = `${modeInput as string}`;
        // Unknown modes are ignored (overwrite), as on Compute.
        if ((INSERT_MODES as readonly string[]).includes(modeName)) mode = modeName as InsertMode;
      }
    }

    const body = toBody(value);
    if (body instanceof Uint8Array) return putBytes(core, name, body, metadataInput, ttlSeconds, mode, gen);
    if (body instanceof Promise) return body.then((bytes) => putBytes(core, name, bytes, metadataInput, ttlSeconds, mode, gen));
    // A body stream: its handle goes to the store once the metadata converts (a bad one rejects first,
    // leaving the body readable), and without its generation check (gen is ignored), as on Compute.
    if (metadataInput !== undefined && toMetadataBytes(metadataInput) === null) return Promise.reject(new TypeError(Messages.metadataType));
    markBodyTaken(body.stream);
    return readStream(body.stream).then((bytes) => putBytes(core, name, bytes, metadataInput, ttlSeconds, mode, undefined));
  },

  list(options: unknown): Promise<KVStoreListResult> {
    const core = StoreSlot.coreOf(this, "list");
    if (!isObject(options)) throw new TypeError(Messages.listOptionsNotObject);
    const cursor = options.cursor;
    if (cursor !== undefined && cursor !== null && typeof cursor !== "string") throw new TypeError(Messages.listCursorType);
    const limitInput = options.limit;
    let limit: number = KVLimits.DEFAULT_LIST_LIMIT;
    if (limitInput !== undefined && limitInput !== null) {
      if (typeof limitInput !== "number" || !Number.isInteger(limitInput)) throw new TypeError(Messages.listLimitType);
      limit = limitInput >>> 0; // passed to the host as a u32, as on Compute
    }
    const prefix = options.prefix;
    if (prefix !== undefined && prefix !== null && typeof prefix !== "string") throw new TypeError(Messages.listPrefixType);
    const noSync = options.noSync;
    if (noSync !== undefined && noSync !== null && typeof noSync !== "boolean") throw new TypeError(Messages.listNoSyncType);
    if (core.settings.profile === "viceroy" && (cursor === "" || prefix === "")) throw new Error(Messages.hostInvalidArgument("list"));

    try {
      const after = decodeCursor(typeof cursor === "string" ? cursor : undefined);
      // The prefix is UTF-8 encoded like keys (lone surrogates become U+FFFD) before it reaches the store.
      const page = core.list({ prefix: typeof prefix === "string" && prefix !== "" ? toWellFormed(prefix) : undefined, after, limit, eventual: noSync === true });
      const toResult = (ready: Awaited<typeof page>): KVStoreListResult => {
        const list = ready.items.map((item) => item.key);
        return { list, cursor: ready.more && list.length > 0 ? encodeCursor(list[list.length - 1]!) : undefined };
      };
      if (isPromise(page)) return page.then(toResult, (error) => Promise.reject(kvTypeError("list", error)));
      return Promise.resolve(toResult(page));
    } catch (error) {
      return Promise.reject(kvTypeError("list", error));
    }
  },
};

/**
 * Converts and checks a get/delete key. Unlike put, these report key problems as rejected promises,
 * as Compute does; `hostFunction` names the host call in Viceroy's "Invalid argument" error.
 */
function checkedKey(core: StoreCore, key: unknown, hostFunction: string): string | Promise<never> {
  let name: string;
  try {
    name = toKeyString(key);
  } catch (error) {
    return Promise.reject(error);
  }
  const problem = keyError(name);
  if (problem) return Promise.reject(new TypeError(problem));
  if (core.settings.profile === "viceroy" && viceroyRejectsKey(name)) {
    return Promise.reject(new Error(Messages.hostInvalidArgument(hostFunction)));
  }
  return name;
}

/** The rest of `put` once the value is bytes: metadata, the Viceroy checks, then the core. */
function putBytes(
  core: StoreCore,
  name: string,
  bytes: Uint8Array,
  metadataInput: unknown,
  ttlSeconds: number | undefined,
  mode: InsertMode,
  gen: number | undefined,
): Promise<undefined> {
  if (bytes.length > KVLimits.MAX_VALUE_BYTES) return Promise.reject(new TypeError(Messages.valueTooLarge));
  let metadata: Uint8Array | null = null;
  if (metadataInput !== undefined) {
    const converted = toMetadataBytes(metadataInput);
    if (converted === null) return Promise.reject(new TypeError(Messages.metadataType));
    metadata = converted;
  }
  if (core.settings.profile === "viceroy") {
    // Viceroy refuses these at the host call; production accepts them.
    const rejected = viceroyRejectsKey(name) || (metadata !== null && (metadata.byteLength === 0 || !isValidUtf8(metadata)));
    if (rejected) return Promise.reject(new Error(Messages.hostInvalidArgument("put")));
  }
  if (metadata !== null && metadata.byteLength === 0) metadata = null;
  try {
    const result = core.write(name, { value: bytes, metadata, ttlSeconds, mode, ifGenerationMatch: gen });
    if (isPromise(result)) return result.then(resolvedUndefined, (error) => Promise.reject(kvTypeError("insert", error)));
    return Promise.resolve(undefined);
  } catch (error) {
    return Promise.reject(kvTypeError("insert", error));
  }
}

/** A lookup that reports "not found" resolves null on Compute; other store errors reject. */
function lookupFailed(error: unknown): Promise<null> {
  if (error instanceof KVError && error.code === "not-found") return Promise.resolve(null);
  return Promise.reject(kvTypeError("lookup", error));
}

function resolvedUndefined(): undefined {
  return undefined;
}

function toEntry(record: StoredRecord | null): KVStoreEntry | null {
  return record === null ? null : createEntry(record.value, record.metadata);
}

/**
 * A gen as the runtime's wasm hands it to the host: the double converted to u64 the saturating way
 * (truncated; NaN, negatives and fractions below 1 give 0, and 2^64 or more the maximum, here 2^64).
 * The out-of-range ones match no generation, so the write fails its precondition (or, for a missing
 * key under the Viceroy profile, proceeds), as in the real runtime.
 */
function toUint64(input: number): number {
  if (!(input > 0)) return 0;
  return input >= 2 ** 64 ? 2 ** 64 : Math.trunc(input);
}

/** ToNumber, then the runtime's RangeErrors, then rounding (§5.3). `null` means 0. */
function toTtlSeconds(input: unknown): number {
  const seconds = +(input as number); // ToNumber: throws for Symbol and BigInt, as on Compute
  if (Number.isNaN(seconds)) throw new RangeError(Messages.ttlNaN);
  if (seconds < 0) throw new RangeError(Messages.ttlNegative);
  if (seconds >= KVLimits.MAX_TTL_SECONDS) throw new RangeError(Messages.ttlTooLarge);
  return Math.round(seconds);
}

/** Metadata: a string (UTF-8) or bytes; anything else (null included) is refused (null return). */
function toMetadataBytes(input: unknown): Uint8Array | null {
  if (typeof input === "string") return encodeUtf8(toWellFormed(input));
  return bufferSourceBytes(input);
}

function bufferSourceBytes(input: unknown): Uint8Array | null {
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength).slice();
  if (hasBrand(input, byteLengthOf) || hasBrand(input, sharedByteLengthOf)) return new Uint8Array(input as ArrayBuffer).slice();
  return null;
}

/**
 * A put value as bytes (§5.4): BufferSource bytes, URLSearchParams serialized, anything else
 * ToString'd (a Symbol throws synchronously); a body ReadableStream as itself, for put to read (a
 * locked, disturbed, taken or app-made one rejects).
 */
function toBody(value: unknown): Uint8Array | Promise<Uint8Array> | { stream: ReadableStream<unknown> } {
  if (typeof value === "string") return encodeUtf8Transient(value);
  const bytes = bufferSourceBytes(value);
  if (bytes !== null) return bytes;
  if (hasBrand(value, lockedOf)) {
    // Only the body stream of a Request, Response or KVStoreEntry can be put (see compute/bodies.ts).
    // The store takes the body's handle: a body already taken is an invalid handle, as on Compute.
    if (isBodyTaken(value as ReadableStream)) return Promise.reject(new Error(Messages.hostInvalidHandle("put")));
    const kind = classifyStream(value as ReadableStream);
    if (kind === "locked") return Promise.reject(new TypeError(Messages.streamLocked));
    if (kind === "content") return Promise.reject(new TypeError(Messages.contentStream));
    return { stream: value as ReadableStream<unknown> };
  }
  // URLSearchParams serializes through its own toString, which ToString below calls as well; the brand
  // check only keeps a real one on the fast path.
  if (hasBrand(value, urlSearchParamsSize)) return encodeUtf8(String(value));
  return encodeUtf8(`${value as string}`);
}

async function readStream(stream: ReadableStream<unknown>): Promise<Uint8Array> {
  if (stream.locked) throw new TypeError(Messages.streamLocked);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    const chunk = typeof value === "string" ? encodeUtf8(value) : bufferSourceBytes(value);
    if (chunk === null) {
      await reader.cancel().catch(() => undefined);
      throw new TypeError("KVStore.put: ReadableStream chunks must be Uint8Array, ArrayBuffer or ArrayBufferView");
    }
    total += chunk.byteLength;
    if (total > KVLimits.MAX_VALUE_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new TypeError(Messages.valueTooLarge);
    }
    chunks.push(chunk);
  }
  return chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks);
}

Object.defineProperty(KVStoreFunction, "prototype", { writable: false, enumerable: false, configurable: false });
for (const member of ["delete", "get", "put", "list"] as const) {
  Object.defineProperty(KVStoreFunction.prototype, member, {
    value: methods[member],
    writable: true,
    enumerable: true,
    configurable: true,
  });
}
fixShape(KVStoreFunction, { name: "KVStore", length: 1, members: ["delete", "get", "put", "list"] });

export const KVStore = KVStoreFunction as unknown as KVStoreConstructor;
