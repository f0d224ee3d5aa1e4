/**
 * IndexedDB driver: stores survive page reloads, for browser prototypes of Compute apps. Built on
 * idb-keyval's `UseStore` transaction plumbing (see indexeddb-connection.ts) with real key ranges
 * for scans.
 *
 * Layout: one database per KV store, named `edge-kv:<store name>` by default, with two object stores
 * keyed by the UTF-8 bytes of the key (an ArrayBuffer, which IndexedDB compares byte by byte, so
 * its order is the UTF-8 byte order Fastly lists keys in; string keys would sort by UTF-16 code
 * units, which puts U+E000–U+FFFF after emoji):
 *   - `entries`: key, generation, expiry, last-modified time, value size, metadata bytes, content type;
 *   - `values`: the value bytes.
 * A scan reads `entries` with a key range and a count, so it never touches values nor more than
 * `limit` records.
 *
 * Atomicity: `write` and `delete` read the current entry (and, to append or prepend, its value),
 * decide the plan (src/drivers/plan.ts) and write, all in one readwrite transaction over both object
 * stores. IndexedDB runs overlapping readwrite transactions one at a time across every connection,
 * so two tabs racing on one key cannot both succeed. A call resolves only once its transaction has
 * committed.
 */
import { promisifyRequest } from "idb-keyval";
import type { DeletePlan, DeleteResult, KVDriver, ScanItem, ScanRange, StoredRecord, WritePlan, WriteResult } from "./driver.js";
import { decideDelete, decideWrite } from "./plan.js";
import { EdgeKvError } from "../errors.js";
import { encodeUtf8 } from "../utf8.js";
import { describeError, ENTRIES_STORE, IndexedDBConnection, isDomException, VALUES_STORE } from "./indexeddb-connection.js";

/**
 * An IndexedDB factory (`indexedDB`) and its key range class (`IDBKeyRange`), typed by the members
 * edge-kv uses so that its declarations need no DOM lib (a Compute project has none); the DOM's and
 * fake-indexeddb's fit.
 */
export interface IDBFactoryLike {
  open(name: string, version?: number): unknown;
  deleteDatabase(name: string): unknown;
}
export interface IDBKeyRangeLike {
  bound(lower: any, upper: any, lowerOpen?: boolean, upperOpen?: boolean): unknown;
  lowerBound(lower: any, open?: boolean): unknown;
  upperBound(upper: any, open?: boolean): unknown;
}

export interface IndexedDBDriverOptions {
  /** The KV store's name; the database is named `edge-kv:<storeName>` unless `databaseName` is given. */
  storeName: string;
  /** The IndexedDB database to use. Default: `edge-kv:<storeName>`. */
  databaseName?: string;
  /** The IndexedDB implementation. Default: `globalThis.indexedDB` (pass fake-indexeddb's `indexedDB` in Node). */
  indexedDB?: IDBFactoryLike;
  /** The IDBKeyRange of the same implementation. Default: `globalThis.IDBKeyRange`. */
  IDBKeyRange?: IDBKeyRangeLike;
  /** How long opening or deleting the database may wait on another connection before rejecting. Default: 10000 ms. */
  timeoutMs?: number;
}

/** Options shared by every store of `indexedDBStores()`. */
export type IndexedDBStoresOptions = Omit<IndexedDBDriverOptions, "storeName" | "databaseName"> & {
  /** Database name prefix; each store's database is `<prefix><store name>`. Default: `edge-kv:`. */
  databasePrefix?: string;
};

export const DEFAULT_DATABASE_PREFIX = "edge-kv:";
export const DEFAULT_TIMEOUT_MS = 10_000;

/** What the `entries` object store holds per key. */
interface EntryRow {
  key: string;
  generation: number;
  expiresAt: number | null;
  lastModified: number;
  size: number;
  metadata: Uint8Array | null;
  contentType: string | null;
}

export class IndexedDBDriver implements KVDriver {
  readonly description: string;
  readonly databaseName: string;
  readonly #connection: IndexedDBConnection;
  readonly #keyRange: typeof IDBKeyRange;

  constructor(options: IndexedDBDriverOptions) {
    if (options === null || typeof options !== "object" || typeof options.storeName !== "string" || options.storeName === "") {
      throw new EdgeKvError(`new IndexedDBDriver(options) needs options.storeName, a non-empty string (got ${describeOption(options?.storeName)})`);
    }
    const { storeName } = options;
    const databaseName = options.databaseName ?? `${DEFAULT_DATABASE_PREFIX}${storeName}`;
    if (typeof databaseName !== "string" || databaseName === "") {
      throw new EdgeKvError(`IndexedDBDriver for store '${storeName}': databaseName must be a non-empty string, got ${describeOption(databaseName)}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof timeoutMs !== "number" || !Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new EdgeKvError(`IndexedDBDriver for store '${storeName}': timeoutMs must be a positive number of milliseconds, got ${describeOption(timeoutMs)}`);
    }
    const factory = (options.indexedDB as IDBFactory | undefined) ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    const keyRange = (options.IDBKeyRange as typeof IDBKeyRange | undefined) ?? (globalThis as { IDBKeyRange?: typeof IDBKeyRange }).IDBKeyRange;
    if (options.indexedDB && !options.IDBKeyRange && factory !== (globalThis as { indexedDB?: IDBFactory }).indexedDB) {
      throw new EdgeKvError(
        `IndexedDBDriver for store '${storeName}': with a custom indexedDB, also pass the IDBKeyRange of the same implementation ({ indexedDB, IDBKeyRange }).`,
      );
    }
    if (!factory || !keyRange) {
      throw new EdgeKvError(
        `IndexedDBDriver for store '${storeName}': IndexedDB is not available here (no globalThis.indexedDB). ` +
          `In Node, import "fake-indexeddb/auto" first, or pass { indexedDB, IDBKeyRange } from fake-indexeddb.`,
      );
    }
    this.databaseName = databaseName;
    this.description = `indexeddb:${databaseName}`;
    this.#connection = new IndexedDBConnection(databaseName, factory, timeoutMs);
    this.#keyRange = keyRange;
  }

  async read(key: string): Promise<StoredRecord | null> {
    const id = keyId(key);
    try {
      return await this.#connection.useStore("readonly", async (entries) => {
        const values = entries.transaction.objectStore(VALUES_STORE);
        const [entry, value] = await Promise.all([
          promisifyRequest(entries.get(id) as IDBRequest<EntryRow | undefined>),
          promisifyRequest(values.get(id) as IDBRequest<Uint8Array | undefined>),
        ]);
        if (entry === undefined || value === undefined) return null;
        return {
          value,
          metadata: entry.metadata,
          generation: entry.generation,
          expiresAt: entry.expiresAt,
          lastModified: entry.lastModified,
          contentType: entry.contentType,
        };
      });
    } catch (error) {
      throw this.#failure(error, `read of key '${key}'`, false);
    }
  }

  write(key: string, plan: WritePlan): Promise<WriteResult> {
    const id = keyId(key);
    const what = `write of key '${key}' (${plan.value.byteLength} bytes)`;
    if (plan.combine !== "replace" || plan.value.byteLength > plan.maxValueBytes) {
      // Appending or prepending needs the current value (read alongside the entry); an oversized
      // value only needs the requirement checked first. Both decide before writing anything.
      const combining = plan.combine !== "replace";
      return this.#update(what, (tx) => {
        let entry: EntryRow | undefined;
        let value: Uint8Array | undefined;
        let waiting = combining ? 2 : 1;
        const decide = () => {
          const result = decideWrite(entry === undefined ? null : { generation: entry.generation, expiresAt: entry.expiresAt, value: value ?? EMPTY }, plan);
          if (result.status === "written") putRecord(tx, id, key, result.record);
          tx.finish(result);
        };
        tx.entries.get(id).onsuccess = tx.guard((current: EntryRow | undefined) => {
          entry = current;
          if (--waiting === 0) decide();
        });
        if (combining) {
          tx.values.get(id).onsuccess = tx.guard((current: Uint8Array | undefined) => {
            value = current;
            if (--waiting === 0) decide();
          });
        }
      });
    }
    // A replace is written at once, alongside the read of the current entry, with a generation that
    // is almost always high enough (the fresh one: the time plus a random offset); the read then
    // confirms it, raises it (another tab issued a higher one), or rolls the transaction back when
    // the requirement fails. One round trip to the database instead of two.
    return this.#update(what, (tx) => {
      const tentative: StoredRecord = {
        value: plan.value,
        metadata: plan.metadata,
        generation: Math.max(plan.freshGeneration, plan.generationFloor),
        expiresAt: plan.expiresAt,
        lastModified: plan.lastModified,
        contentType: plan.contentType,
      };
      tx.entries.get(id).onsuccess = tx.guard((current: EntryRow | undefined) => {
        const result = decideWrite(current === undefined ? null : { generation: current.generation, expiresAt: current.expiresAt, value: EMPTY }, plan);
        if (result.status !== "written") return tx.rollBack(result);
        if (result.record.generation > tentative.generation) {
          putRecord(tx, id, key, result.record, false);
          return tx.finish(result);
        }
        tx.finish({ status: "written", record: tentative });
      });
      putRecord(tx, id, key, tentative);
    });
  }

  delete(key: string, plan: DeletePlan): Promise<DeleteResult> {
    const id = keyId(key);
    // Deleted at once, alongside the read; rolled back when the read shows the plan must not delete.
    return this.#update(`delete of key '${key}'`, (tx) => {
      tx.entries.get(id).onsuccess = tx.guard((current: EntryRow | undefined) => {
        const result = decideDelete(current ?? null, plan);
        if (result.status === "precondition-failed") return tx.rollBack(result);
        tx.finish(result); // "absent": the deletes removed nothing
      });
      tx.entries.delete(id);
      tx.values.delete(id);
    });
  }

  async scan(range: ScanRange): Promise<ScanItem[]> {
    if (range.limit <= 0) return []; // getAll's count 0 means "no limit"
    const keyRange = this.#scanRange(range.prefix ?? "", range.after);
    if (keyRange === "empty") return [];
    try {
      const rows = await this.#connection.useStore("readonly", (entries) =>
        promisifyRequest(entries.getAll(keyRange, Math.min(range.limit, 0xffffffff)) as IDBRequest<EntryRow[]>),
      );
      return rows.map((row) => ({ key: row.key, expiresAt: row.expiresAt, size: row.size, lastModified: row.lastModified }));
    } catch (error) {
      throw this.#failure(error, "scan", false);
    }
  }

  clear(): Promise<void> {
    return this.#update("clear", (tx) => {
      tx.entries.clear();
      tx.values.clear();
      tx.finish(undefined);
    });
  }

  /** Closes the database connection; a later operation reopens it. */
  close(): Promise<void> {
    return this.#connection.close();
  }

  /** Deletes the whole database. Rejects with an EdgeKvError if another tab keeps it open past `timeoutMs`. */
  destroy(): Promise<void> {
    return this.#connection.deleteDatabase();
  }

  /**
   * The key range for keys starting with `prefix` and strictly after `after`, or "empty". Keys are
   * UTF-8 byte strings; UTF-8 never contains 0xFF, so the first key past the prefix is the prefix
   * with its last byte plus one.
   */
  #scanRange(prefix: string, after: string | undefined): IDBKeyRange | null | "empty" {
    const prefixBytes = encodeUtf8(prefix);
    let lower: Uint8Array | null = prefixBytes.byteLength > 0 ? prefixBytes : null;
    let lowerOpen = false;
    if (after !== undefined) {
      const afterBytes = encodeUtf8(after);
      if (lower === null || compareBytes(afterBytes, lower) >= 0) {
        lower = afterBytes;
        lowerOpen = true;
      }
    }
    let upper: Uint8Array | null = null;
    if (prefixBytes.byteLength > 0) {
      upper = prefixBytes.slice();
      upper[upper.byteLength - 1]!++;
      if (lower !== null && compareBytes(lower, upper) >= 0) return "empty";
    }
    const KeyRange = this.#keyRange;
    if (lower !== null && upper !== null) return KeyRange.bound(lower.buffer, upper.buffer, lowerOpen, true);
    if (lower !== null) return KeyRange.lowerBound(lower.buffer, lowerOpen);
    if (upper !== null) return KeyRange.upperBound(upper.buffer, true);
    return null;
  }

  /**
   * Runs `body` in one readwrite transaction over both object stores and resolves with what it
   * passed to `finish` once the transaction has committed, or with what it passed to `rollBack`
   * once the transaction has been aborted (its writes undone). `guard` wraps a request's success
   * handler: it receives the request's result, and an exception there aborts the transaction and
   * rejects with that exception (IndexedDB itself would only report an AbortError). Failures
   * become EdgeKvErrors.
   */
  #update<T>(what: string, body: (tx: UpdateTransaction<T>) => void): Promise<T> {
    return this.#connection
      .useStore("readwrite", (entries) => {
        const transaction = entries.transaction;
        return new Promise<T>((resolve, reject) => {
          let result: T;
          let failure: unknown = null;
          let rolledBack = false;
          const abort = (error: unknown) => {
            failure ??= error;
            try {
              transaction.abort();
            } catch {
              reject(failure); // the transaction had already finished
            }
          };
          transaction.oncomplete = () => resolve(result);
          transaction.onabort = () => {
            if (rolledBack && failure === null) resolve(result);
            else reject(failure ?? transaction.error ?? new DOMException("The transaction was aborted.", "AbortError"));
          };
          const tx: UpdateTransaction<T> = {
            entries,
            values: transaction.objectStore(VALUES_STORE),
            finish: (value) => {
              result = value;
            },
            rollBack: (value) => {
              result = value;
              rolledBack = true;
              transaction.abort();
            },
            guard:
              <R>(handler: (result: R) => void) =>
              (event: Event) => {
                try {
                  handler((event.target as IDBRequest<R>).result);
                } catch (error) {
                  abort(error);
                }
              },
          };
          try {
            body(tx);
          } catch (error) {
            abort(error);
          }
        });
      })
      .catch((error: unknown) => {
        throw this.#failure(error, what, true);
      });
  }

  #failure(error: unknown, what: string, writing: boolean): Error {
    if (error instanceof EdgeKvError) return error;
    const database = `IndexedDB database '${this.databaseName}'`;
    if (isDomException(error, "QuotaExceededError")) {
      return new EdgeKvError(
        `${database} is over its storage quota: the ${what} was refused and nothing was written. ` +
          `Delete entries or stores you no longer need, or ask the browser to keep more with navigator.storage.persist().`,
        { cause: error },
      );
    }
    const outcome = writing ? " and nothing was written" : "";
    return new EdgeKvError(
      `${database}: the ${what} failed (${describeError(error)})${outcome}. ` +
        `If another tab deleted or upgraded the database, retry; otherwise check the browser's storage settings.`,
      { cause: error },
    );
  }
}

/** A driver factory for registries: `new KVRegistry({ createDriver: indexedDBStores() })`. */
export function indexedDBStores(options: IndexedDBStoresOptions = {}): (storeName: string) => IndexedDBDriver {
  const { databasePrefix = DEFAULT_DATABASE_PREFIX, ...shared } = options;
  return (storeName) => new IndexedDBDriver({ ...shared, storeName, databaseName: `${databasePrefix}${storeName}` });
}

/** One readwrite transaction as `#update` hands it to its body. */
interface UpdateTransaction<T> {
  entries: IDBObjectStore;
  values: IDBObjectStore;
  /** The result to resolve with once the transaction commits. */
  finish(result: T): void;
  /** Aborts the transaction (undoing its writes) and resolves with `result`. */
  rollBack(result: T): void;
  /** Wraps a request's success handler: an exception there aborts the transaction and rejects with it. */
  guard<R>(handler: (result: R) => void): (event: Event) => void;
}

const EMPTY = new Uint8Array(0);

/** Writes `record` under `key` (whose primary key is `id`): its entry row and, unless `withValue` is false, its value. */
function putRecord<T>(tx: UpdateTransaction<T>, id: ArrayBuffer, key: string, record: StoredRecord, withValue = true): void {
  const row: EntryRow = {
    key,
    generation: record.generation,
    expiresAt: record.expiresAt,
    lastModified: record.lastModified,
    size: record.value.byteLength,
    metadata: record.metadata === null ? null : exactBytes(record.metadata),
    contentType: record.contentType,
  };
  tx.entries.put(row, id);
  if (withValue) tx.values.put(exactBytes(record.value), id);
}

/** The primary key of `key`: its UTF-8 bytes as an ArrayBuffer (a binary key, compared byte by byte). */
function keyId(key: string): ArrayBuffer {
  return encodeUtf8(key).buffer;
}

/** The bytes of `view` alone: structured cloning a view would store its whole underlying buffer. */
function exactBytes(view: Uint8Array): Uint8Array {
  return view.byteOffset === 0 && view.byteLength === view.buffer.byteLength ? view : view.slice();
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.byteLength, b.byteLength);
  for (let i = 0; i < length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.byteLength - b.byteLength;
}

function describeOption(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : value === null ? "null" : typeof value === "number" ? String(value) : typeof value;
}
