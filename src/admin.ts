/**
 * The store admin API: what tests, seeding scripts and the REST server use to look inside a store and
 * to write with the REST options (modes, if-generation-match, metadata, TTL, force on delete).
 * Unlike `KVStore`, it exposes generations, expiry and sizes.
 */
import { INSERT_MODES, type InsertMode, type StoreCore } from "./core.js";
import { isPromise, type MaybePromise, type StoredRecord } from "./drivers/driver.js";
import { EdgeKvError, KVError } from "./errors.js";
import { KVLimits } from "./limits.js";
import { keyError } from "./rules.js";
import { base64ToBytes, bytesToBase64, decodeUtf8Lossy, decodeUtf8Strict, encodeUtf8, isValidUtf8, toWellFormed } from "./utf8.js";

export type Bytes = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Everything stored under a key. */
export interface RecordView {
  key: string;
  value: Uint8Array;
  /** The value decoded as UTF-8 (a leading U+FEFF kept, invalid sequences replaced by U+FFFD); use `value` for bytes. */
  text: string;
  metadata: Uint8Array | null;
  /** Metadata as UTF-8 text, or null when absent or not valid UTF-8. */
  metadataText: string | null;
  generation: number;
  /** When the entry expires, or null for no TTL. */
  expiresAt: Date | null;
  lastModified: Date;
  contentType: string | null;
}

export interface KeyInfo {
  key: string;
  size: number;
  expiresAt: Date | null;
  lastModified: Date;
}

export interface AdminPutOptions {
  mode?: InsertMode;
  ifGenerationMatch?: number;
  metadata?: Bytes;
  /** Seconds until expiry. */
  ttl?: number;
  contentType?: string;
}

/** Seed data: key → value, or key → { value, metadata?, ttl? }. */
export type SeedData = Record<string, Bytes | { value: Bytes; metadata?: Bytes; ttl?: number }>;

export interface StoreStats {
  keys: number;
  valueBytes: number;
  metadataBytes: number;
}

export class StoreAdmin {
  readonly core: StoreCore;
  constructor(core: StoreCore) {
    this.core = core;
  }

  get name(): string {
    return this.core.name;
  }

  /** Everything stored under `key` (generation, expiry, metadata...), or null if absent or expired. */
  async inspect(key: string): Promise<RecordView | null> {
    const name = checkedKey(key);
    const record = await this.core.get(name);
    return record === null ? null : recordView(name, record);
  }

  /** Writes like the REST API does. Rejects KVError("precondition-failed") on a failed add or generation mismatch. */
  async put(key: string, value: Bytes, options: AdminPutOptions = {}): Promise<RecordView> {
    key = checkedKey(key);
    return recordView(key, await this.#write(key, value, options));
  }

  /**
   * `put` without building a RecordView: resolves the record as stored (generation, times...) for
   * callers that need no copy of it (the REST server, seeding). Do not modify what it returns.
   */
  async write(key: string, value: Bytes, options: AdminPutOptions = {}): Promise<StoredRecord> {
    return this.#write(checkedKey(key), value, options);
  }

  #write(key: string, value: Bytes, options: AdminPutOptions): MaybePromise<StoredRecord> {
    if (options.mode !== undefined && !INSERT_MODES.includes(options.mode)) {
      throw new EdgeKvError(`put('${key}'): mode must be one of ${INSERT_MODES.join(", ")}, got ${JSON.stringify(options.mode)}`);
    }
    if (options.ifGenerationMatch !== undefined && !(Number.isSafeInteger(options.ifGenerationMatch) && options.ifGenerationMatch > 0)) {
      throw new EdgeKvError(`put('${key}'): ifGenerationMatch must be a positive integer, got ${String(options.ifGenerationMatch)}`);
    }
    if (options.ttl !== undefined && !(typeof options.ttl === "number" && options.ttl >= 0 && options.ttl < KVLimits.MAX_TTL_SECONDS)) {
      throw new EdgeKvError(`put('${key}'): ttl must be a number of seconds from 0 to ${KVLimits.MAX_TTL_SECONDS - 1}, got ${String(options.ttl)}`);
    }
    const metadata = options.metadata === undefined ? null : toBytes(options.metadata, "metadata");
    return this.core.write(key, {
      value: toBytes(value, "value"),
      metadata: metadata !== null && metadata.byteLength === 0 ? null : metadata,
      ttlSeconds: options.ttl === undefined ? undefined : Math.round(options.ttl), // whole seconds, as KVStore.put
      mode: options.mode,
      ifGenerationMatch: options.ifGenerationMatch,
      contentType: options.contentType,
    });
  }

  /**
   * Deletes `key`. A missing key rejects KVError("not-found") unless `force`; a generation mismatch
   * rejects KVError("precondition-failed"). Resolves whether a live entry was removed.
   */
  async delete(key: string, options: { ifGenerationMatch?: number; force?: boolean } = {}): Promise<boolean> {
    const deleted = await this.core.delete(checkedKey(key), { ifGenerationMatch: options.ifGenerationMatch });
    if (!deleted && !options.force) throw new KVError("not-found");
    return deleted;
  }

  /** One page of keys with sizes; pass the returned cursor back for the next page. */
  async keys(options: { prefix?: string; limit?: number; cursor?: string } = {}): Promise<{ items: KeyInfo[]; cursor: string | undefined }> {
    const limit = options.limit ?? KVLimits.DEFAULT_LIST_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new EdgeKvError(`keys(): limit must be a positive integer, got ${String(limit)}`);
    const prefix = options.prefix ? toWellFormed(options.prefix) : undefined;
    const page = await this.core.list({ prefix, after: decodeCursor(options.cursor), limit });
    return {
      items: page.items.map((item) => ({
        key: item.key,
        size: item.size,
        expiresAt: item.expiresAt === null ? null : new Date(item.expiresAt),
        lastModified: new Date(item.lastModified),
      })),
      cursor: page.more ? encodeCursor(page.items[page.items.length - 1]!.key) : undefined,
    };
  }

  /** Every live entry in key order: read back everything a test wrote. */
  async entries(prefix?: string): Promise<RecordView[]> {
    const out: RecordView[] = [];
    await this.core.scanAll(async (item) => {
      const record = await this.core.get(item.key);
      if (record !== null) out.push(recordView(item.key, record));
    }, prefix);
    return out;
  }

  /** Key → value text for every live entry: handy in `expect(...).toEqual({...})`. */
  async snapshot(): Promise<Record<string, string>> {
    const out: Record<string, string> = Object.create(null);
    for (const entry of await this.entries()) out[entry.key] = entry.text;
    return out;
  }

  async stats(): Promise<StoreStats> {
    const stats: StoreStats = { keys: 0, valueBytes: 0, metadataBytes: 0 };
    await this.core.scanAll(async (item) => {
      const record = await this.core.driver.read(item.key);
      if (record === null) return;
      stats.keys++;
      stats.valueBytes += record.value.byteLength;
      stats.metadataBytes += record.metadata?.byteLength ?? 0;
    });
    return stats;
  }

  /** Writes every entry of `data` (overwrite mode, no generation check). */
  async seed(data: SeedData): Promise<this> {
    if (data === null || typeof data !== "object") throw new EdgeKvError(`seed('${this.name}') expects an object mapping keys to values`);
    for (const key of Object.keys(data)) {
      const item = data[key]!;
      const name = checkedKey(key);
      const written = isBytes(item) ? this.#write(name, item, {}) : this.#write(name, item.value, { metadata: item.metadata, ttl: item.ttl });
      if (isPromise(written)) await written;
    }
    return this;
  }

  /** Removes every entry. */
  async clear(): Promise<void> {
    await this.core.driver.clear();
  }

  /** Removes expired entries now (they are otherwise removed lazily); resolves how many. */
  sweepExpired(): Promise<number> {
    return this.core.sweepExpired();
  }
}

/** The key as stores hold it (lone surrogates as U+FFFD, as KVStore encodes them); throws the runtime's TypeError if invalid. */
function checkedKey(key: string): string {
  if (typeof key !== "string") throw new TypeError(`edge-kv: keys are strings, got ${typeof key}`);
  const name = toWellFormed(key);
  const problem = keyError(name);
  if (problem) throw new TypeError(problem);
  return name;
}

function isBytes(value: unknown): value is Bytes {
  return typeof value === "string" || value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

export function toBytes(value: Bytes, what: string): Uint8Array {
  if (typeof value === "string") return encodeUtf8(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  throw new EdgeKvError(`${what} must be a string, ArrayBuffer or ArrayBufferView, got ${value === null ? "null" : typeof value}`);
}

/** What the admin API (and edge-kv/testing) shows of a stored record. */
export function recordView(key: string, record: StoredRecord): RecordView {
  return {
    key,
    // Copies: what a caller does to a view must not change the store.
    value: record.value.slice(),
    text: decodeUtf8Lossy(record.value),
    metadata: record.metadata === null ? null : record.metadata.slice(),
    metadataText: record.metadata !== null && isValidUtf8(record.metadata) ? decodeUtf8Strict(record.metadata) : null,
    generation: record.generation,
    expiresAt: record.expiresAt === null ? null : new Date(record.expiresAt),
    lastModified: new Date(record.lastModified),
    contentType: record.contentType,
  };
}

/** Only units below U+0080: such a string's UTF-8 bytes are its code units. */
const ASCII_ONLY = /^[\x00-\x7f]*$/;

/**
 * List cursors are standard base64 of the last key returned, as on Fastly. An ASCII key goes
 * through the web-standard `btoa`, which reads each unit as a byte (a key's UTF-8 bytes, here) and
 * is ~8× faster than encoding and converting in JS (~0.2 vs ~1.5 µs: a paginated list pays it on
 * every page); other keys are encoded first.
 */
export function encodeCursor(key: string): string {
  return ASCII_ONLY.test(key) ? btoa(key) : bytesToBase64(encodeUtf8(key));
}

/** The key a cursor continues after; throws KVError("bad-request") for a cursor that is not one. */
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined || cursor === "") return undefined;
  const bytes = base64ToBytes(cursor);
  if (bytes === null || bytes.byteLength === 0 || !isValidUtf8(bytes)) throw new KVError("bad-request");
  return decodeUtf8Strict(bytes);
}
