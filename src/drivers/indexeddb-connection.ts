/**
 * One IndexedDB database per edge-kv store: opening it (with a deadline), handing out transactions
 * through idb-keyval's `UseStore` contract, closing it when another connection wants to delete or
 * upgrade it, and deleting it.
 *
 * Why not idb-keyval's own `createStore`: it always uses the global `indexedDB` (no fake-indexeddb
 * instance can be injected), scopes each transaction to a single object store (a record here spans
 * two), never closes its connection (so deleting the database from the same page would wait for
 * ever) and waits without limit on a blocked open. The `UseStore` function below keeps its shape.
 */
import type { UseStore } from "idb-keyval";
import { EdgeKvError } from "../errors.js";

/** Object store holding, per key, everything but the value: scans read only this one. */
export const ENTRIES_STORE = "entries";
/** Object store holding the value bytes, read by point reads only. */
export const VALUES_STORE = "values";
/** The database layout version this code creates and reads. */
export const SCHEMA_VERSION = 1;

export class IndexedDBConnection {
  readonly databaseName: string;
  readonly factory: IDBFactory;
  readonly timeoutMs: number;
  #database: Promise<IDBDatabase> | undefined;

  constructor(databaseName: string, factory: IDBFactory, timeoutMs: number) {
    this.databaseName = databaseName;
    this.factory = factory;
    this.timeoutMs = timeoutMs;
  }

  /**
   * idb-keyval's `UseStore`: runs `callback` with the entries store of a new transaction whose scope
   * is both object stores (reach the values store with `store.transaction.objectStore(VALUES_STORE)`).
   */
  readonly useStore: UseStore = async (mode, callback) => {
    let database = await this.#open();
    let transaction: IDBTransaction;
    try {
      transaction = database.transaction([ENTRIES_STORE, VALUES_STORE], mode);
    } catch (error) {
      // The connection was closed under us (another tab deleted the database, or Safari dropped it): reopen once.
      if (!isDomException(error, "InvalidStateError")) throw error;
      this.#forget(database);
      database = await this.#open();
      transaction = database.transaction([ENTRIES_STORE, VALUES_STORE], mode);
    }
    return callback(transaction.objectStore(ENTRIES_STORE));
  };

  /** Closes the connection; the next operation opens it again. */
  async close(): Promise<void> {
    const pending = this.#database;
    this.#database = undefined;
    if (pending) {
      const database = await pending.catch(() => null);
      database?.close();
    }
  }

  /** Closes the connection and deletes the database; rejects after `timeoutMs` if another connection holds it open. */
  async deleteDatabase(): Promise<void> {
    await this.close();
    const request = this.factory.deleteDatabase(this.databaseName);
    await this.#settle(request, "delete", () => undefined);
  }

  #open(): Promise<IDBDatabase> {
    if (this.#database) return this.#database;
    const request = this.factory.open(this.databaseName, SCHEMA_VERSION);
    request.onupgradeneeded = (event) => {
      // Only on creation (old version 0): every later layout change bumps SCHEMA_VERSION and migrates here.
      if (event.oldVersion === 0) {
        const database = request.result;
        database.createObjectStore(ENTRIES_STORE);
        database.createObjectStore(VALUES_STORE);
      }
    };
    const opened = this.#settle(request, "open", (database: IDBDatabase) => {
      // An open that finishes after its deadline passed must not leave a connection behind.
      database.close();
    }).then((database) => {
      const names = database.objectStoreNames;
      if (!names.contains(ENTRIES_STORE) || !names.contains(VALUES_STORE)) {
        database.close();
        throw new EdgeKvError(
          `IndexedDB database '${this.databaseName}' exists but was not created by edge-kv (it has no '${ENTRIES_STORE}' and '${VALUES_STORE}' object stores). ` +
            `Pass another databaseName to IndexedDBDriver, or delete that database (DevTools > Application > IndexedDB).`,
        );
      }
      // Let other tabs delete or upgrade the database: close at once, reopen on the next operation.
      database.onversionchange = () => this.#forget(database);
      (database as IDBDatabase & { onclose: (() => void) | null }).onclose = () => this.#forget(database);
      return database;
    });
    this.#database = opened;
    opened.catch(() => {
      if (this.#database === opened) this.#database = undefined;
    });
    return opened;
  }

  #forget(database: IDBDatabase): void {
    database.close();
    this.#database = undefined;
  }

  /**
   * Resolves with the request's result, or rejects with a clear EdgeKvError when it fails, or when
   * it has not finished after `timeoutMs` (blocked by another connection). `late` disposes of a
   * result that arrives after the deadline.
   */
  #settle<T>(request: IDBOpenDBRequest, action: "open" | "delete", late: (result: T) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let blocked = false;
      let done = false;
      const timer = setTimeout(() => {
        done = true;
        reject(new EdgeKvError(this.#timeoutMessage(action, blocked)));
      }, this.timeoutMs);
      request.onblocked = () => {
        blocked = true;
      };
      request.onsuccess = () => {
        if (done) return late(request.result as T);
        done = true;
        clearTimeout(timer);
        resolve(request.result as T);
      };
      request.onerror = (event) => {
        event.preventDefault();
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(this.#failureMessage(action, request.error));
      };
    });
  }

  #timeoutMessage(action: "open" | "delete", blocked: boolean): string {
    const what = action === "open" ? "did not open" : "was not deleted";
    const cause = blocked
      ? "another connection to it (another tab or window of this site) is still open and did not close"
      : "it is waiting behind another connection (another tab or window of this site) that holds it open or is deleting it";
    const after = action === "delete" ? " The deletion stays queued and happens once that connection closes." : "";
    return (
      `IndexedDB database '${this.databaseName}' ${what} within ${this.timeoutMs} ms: ${cause}.${after} ` +
      `Close the other tabs using this database and retry, or raise the timeoutMs option of IndexedDBDriver.`
    );
  }

  #failureMessage(action: "open" | "delete", error: DOMException | null): EdgeKvError {
    if (error?.name === "VersionError") {
      return new EdgeKvError(
        `IndexedDB database '${this.databaseName}' has a newer layout than this version of edge-kv reads (version ${SCHEMA_VERSION}). ` +
          `Upgrade edge-kv, pass another databaseName to IndexedDBDriver, or delete that database.`,
        { cause: error },
      );
    }
    return new EdgeKvError(
      `IndexedDB database '${this.databaseName}' could not be ${action === "open" ? "opened" : "deleted"} (${describeError(error)}). ` +
        `Check that this page may use IndexedDB (private windows and some embedded browsers refuse it).`,
      { cause: error },
    );
  }
}

export function isDomException(error: unknown, name: string): boolean {
  return typeof error === "object" && error !== null && (error as { name?: unknown }).name === name;
}

export function describeError(error: unknown): string {
  if (error === null || error === undefined) return "no error reported";
  if (typeof error === "object" && "name" in error && "message" in error) {
    const { name, message } = error as { name: unknown; message: unknown };
    return message ? `${String(name)}: ${String(message)}` : String(name);
  }
  return String(error);
}
