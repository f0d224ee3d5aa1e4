/**
 * The driver contract: the only things a storage backend does. Every semantic rule (insert modes,
 * generations, TTL, list order and cursors, limits) lives in the core; drivers store and return
 * records as given and never interpret them.
 *
 * Methods may return a value or a Promise of it: the memory driver answers synchronously, which
 * keeps the in-process path fast and applies operations in call order, as Compute does.
 */
export type MaybePromise<T> = T | Promise<T>;

/** One stored entry. Drivers keep all fields verbatim, expired or not. */
export interface StoredRecord {
  value: Uint8Array;
  /** null when the entry has no metadata. */
  metadata: Uint8Array | null;
  /** Opaque per-key version, strictly increasing on every write; a positive safe integer. */
  generation: number;
  /** Expiry time in ms since the epoch, or null for no TTL. */
  expiresAt: number | null;
  /** Time of the write in ms since the epoch. */
  lastModified: number;
  /** Content-Type given by REST dialects that keep one (Apify); null otherwise. */
  contentType: string | null;
}

/** What an ordered scan returns per key: enough to filter expired keys and report sizes without reading values. */
export interface ScanItem {
  key: string;
  expiresAt: number | null;
  /** Value size in bytes. */
  size: number;
  lastModified: number;
}

export interface ScanRange {
  /** Only keys starting with this string (empty or absent: all keys). */
  prefix?: string;
  /** Only keys strictly after this one in UTF-8 byte order. */
  after?: string;
  /** At most this many items. */
  limit: number;
}

/**
 * `expected` for write/delete: a generation the current record must have, or null for
 * "no record may exist" (expired records exist until removed), or undefined for unconditional.
 */
export type Expectation = number | null | undefined;

export interface KVDriver {
  /** A short name for messages, e.g. "memory" or "fs:/path/to/store". */
  readonly description: string;
  /** The record stored under `key`, or null. */
  read(key: string): MaybePromise<StoredRecord | null>;
  /** Stores `record` if the current state matches `expected`; returns whether it did. Atomic. */
  write(key: string, record: StoredRecord, expected: Expectation): MaybePromise<boolean>;
  /** Removes `key` if the current state matches `expected`; returns whether a record was removed. Atomic. */
  delete(key: string, expected: Expectation): MaybePromise<boolean>;
  /** Keys in UTF-8 byte order within `range`. Must not read every key of the store to answer. */
  scan(range: ScanRange): MaybePromise<ScanItem[]>;
  /** Removes every record. */
  clear(): MaybePromise<void>;
  /** Releases resources (handles, connections). Optional. */
  close?(): MaybePromise<void>;
  /** Removes the store's data entirely (its folder, database...). Optional; defaults to clear(). */
  destroy?(): MaybePromise<void>;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** Applies `next` now if `value` is ready, else when it resolves. Keeps synchronous drivers synchronous. */
export function chain<T, U>(value: MaybePromise<T>, next: (ready: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
