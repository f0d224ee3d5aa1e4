/**
 * What the IndexedDB driver promises beyond the shared contract: its database layout and names,
 * store isolation, bounded scans, persistence, and clear errors (never hangs) for bad options,
 * blocked databases, foreign databases and a full quota. Runs on fake-indexeddb.
 */
import { IDBFactory, IDBKeyRange, IDBObjectStore } from "fake-indexeddb";
import { afterEach, describe, expect, it, vi } from "vitest";
import { EdgeKvError, FakeClock, IndexedDBDriver, indexedDBStores, KVRegistry, KVStore, setRegistry, type StoredRecord } from "edge-kv";
import { writeRecord } from "../contract/plans.js";

const indexedDB = new IDBFactory();
const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const record = (value: string | Uint8Array, fields: Partial<StoredRecord> = {}): StoredRecord => ({
  value: typeof value === "string" ? enc(value) : value,
  metadata: null,
  generation: 1,
  expiresAt: null,
  lastModified: 1_700_000_000_000,
  contentType: null,
  ...fields,
});

let counter = 0;
const unique = (name: string) => `${name}-${++counter}`;
const made: IndexedDBDriver[] = [];
const rawConnections: IDBDatabase[] = [];
function driver(options: { storeName?: string; databaseName?: string; timeoutMs?: number } = {}) {
  const made1 = new IndexedDBDriver({ storeName: unique("store"), indexedDB, IDBKeyRange, ...options });
  made.push(made1);
  return made1;
}
let previousRegistry: KVRegistry | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  if (previousRegistry) setRegistry(previousRegistry);
  previousRegistry = undefined;
  for (const connection of rawConnections.splice(0)) connection.close();
  for (const each of made.splice(0)) await each.destroy();
});

/** Opens a database directly (another tab that does not use edge-kv), optionally creating object stores. */
function rawOpen(name: string, version?: number, createStores: string[] = []): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = version === undefined ? indexedDB.open(name) : indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      for (const store of createStores) request.result.createObjectStore(store);
    };
    request.onsuccess = () => {
      rawConnections.push(request.result);
      resolve(request.result);
    };
    request.onerror = () => reject(request.error);
  });
}
function rawGet<T>(database: IDBDatabase, store: string, key: IDBValidKey): Promise<T> {
  return new Promise((resolve, reject) => {
    const request = database.transaction(store).objectStore(store).get(key);
    request.onsuccess = () => resolve(request.result as T);
    request.onerror = () => reject(request.error);
  });
}
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
async function databaseNames(): Promise<string[]> {
  return (await indexedDB.databases()).map((info) => info.name!);
}

describe("database names and layout", () => {
  it("names a store's database 'edge-kv:<store name>' unless databaseName is given", () => {
    expect(driver({ storeName: "notes" }).databaseName).toBe("edge-kv:notes");
    expect(driver({ storeName: "notes" }).description).toBe("indexeddb:edge-kv:notes");
    expect(driver({ storeName: "notes", databaseName: "my-db" }).databaseName).toBe("my-db");
  });

  it("indexedDBStores() names each store's database '<databasePrefix><store name>' (default prefix 'edge-kv:')", () => {
    expect(indexedDBStores({ indexedDB, IDBKeyRange })("links").databaseName).toBe("edge-kv:links");
    expect(indexedDBStores({ indexedDB, IDBKeyRange, databasePrefix: "app1/" })("links").databaseName).toBe("app1/links");
  });

  it("keeps values and metadata as bytes in 'values' and 'entries', keyed by the key's UTF-8 bytes", async () => {
    const store = driver({ databaseName: unique("layout") });
    await writeRecord(store, "é/k", record(new Uint8Array([0, 1, 255]), { metadata: new Uint8Array([9, 8]), generation: 5 }), null);
    const raw = await rawOpen(store.databaseName);
    expect([...raw.objectStoreNames]).toEqual(["entries", "values"]);
    const id = enc("é/k").buffer;
    const value = await rawGet<Uint8Array>(raw, "values", id);
    expect(value).toBeInstanceOf(Uint8Array);
    expect([...value]).toEqual([0, 1, 255]);
    const entry = await rawGet<Record<string, unknown>>(raw, "entries", id);
    expect(entry).toEqual({
      key: "é/k",
      generation: 5,
      expiresAt: null,
      lastModified: 1_700_000_000_000,
      size: 3,
      metadata: new Uint8Array([9, 8]),
      contentType: null,
    });
  });

  it("stores only the bytes of a value that is a view into a larger buffer", async () => {
    const store = driver({ databaseName: unique("view") });
    const big = new Uint8Array(4096).map((_, i) => i & 0xff);
    await writeRecord(store, "k", record(big.subarray(10, 14)), null);
    const value = await rawGet<Uint8Array>(await rawOpen(store.databaseName), "values", enc("k").buffer);
    expect(value.buffer.byteLength).toBe(4);
    expect([...value]).toEqual([10, 11, 12, 13]);
  });
});

describe("store isolation", () => {
  it("gives each store of a registry its own database, so one key holds a different value per store", async () => {
    const registry = new KVRegistry({ createDriver: indexedDBStores({ indexedDB, IDBKeyRange, databasePrefix: unique("iso") + ":" }) });
    const links = registry.defineStore("links");
    const notes = registry.defineStore("notes");
    made.push(links.core.driver as IndexedDBDriver, notes.core.driver as IndexedDBDriver);
    await links.put("k", "a link");
    await notes.put("k", "a note");
    expect(await links.snapshot()).toEqual({ k: "a link" });
    expect(await notes.snapshot()).toEqual({ k: "a note" });
  });

  it("deletes a store's database, and only that one, when the store is removed", async () => {
    const prefix = unique("remove") + ":";
    const registry = new KVRegistry({ createDriver: indexedDBStores({ indexedDB, IDBKeyRange, databasePrefix: prefix }) });
    await registry.defineStore("gone").put("k", "v");
    const kept = registry.defineStore("kept");
    made.push(kept.core.driver as IndexedDBDriver);
    await kept.put("k", "still here");
    await registry.removeStore("gone");
    const names = await databaseNames();
    expect(names).not.toContain(`${prefix}gone`);
    expect(names).toContain(`${prefix}kept`);
    expect(await kept.snapshot()).toEqual({ k: "still here" });
  });
});

describe("list uses a key range and stops after limit", () => {
  it("reads no more entries from IndexedDB than the page needs, and never a value", async () => {
    const store = driver({ databaseName: unique("bounded") });
    for (let i = 0; i < 2000; i++) await writeRecord(store, `${i % 2 ? "b" : "a"}/${String(i).padStart(4, "0")}`, record("v"), null);
    const getAll = vi.spyOn(IDBObjectStore.prototype, "getAll");
    const unbounded = [
      vi.spyOn(IDBObjectStore.prototype, "getAllKeys"),
      vi.spyOn(IDBObjectStore.prototype, "openCursor"),
      vi.spyOn(IDBObjectStore.prototype, "openKeyCursor"),
    ];
    const registry = new KVRegistry();
    registry.defineStore("bounded", { driver: store });
    previousRegistry = setRegistry(registry);
    const page = await new KVStore("bounded").list({ prefix: "b/", limit: 10 });
    expect(page.list).toEqual(Array.from({ length: 10 }, (_, i) => `b/${String(2 * i + 1).padStart(4, "0")}`));
    expect(page.cursor).toBeTypeOf("string");
    // The core asks for one extra key to know whether another page exists.
    expect(getAll.mock.calls.map((call) => call[1])).toEqual([11]);
    const returned = await Promise.all(getAll.mock.results.map((result) => new Promise<unknown[]>((resolve) => {
      const request = result.value as IDBRequest<unknown[]>;
      if (request.readyState === "done") resolve(request.result);
      else request.addEventListener("success", () => resolve(request.result));
    })));
    expect(returned.map((rows) => rows.length)).toEqual([11]);
    expect(getAll.mock.contexts.map((context) => (context as IDBObjectStore).name)).toEqual(["entries"]);
    for (const spy of unbounded) expect(spy).not.toHaveBeenCalled();
  });
});

describe("persistence", () => {
  it("serves value, metadata and generation to a new KVStore after the database was closed and reopened", async () => {
    const databaseName = unique("persist");
    const first = driver({ databaseName });
    const registry = new KVRegistry({ clock: new FakeClock() });
    const admin = registry.defineStore("notes", { driver: first });
    await admin.put("note-1", "hello", { metadata: "v2" });
    const { generation } = (await admin.inspect("note-1"))!;
    await registry.reset(); // closes the driver's connection

    const reopened = new KVRegistry();
    reopened.defineStore("notes", { driver: driver({ databaseName }) });
    previousRegistry = setRegistry(reopened);
    const entry = await new KVStore("notes").get("note-1");
    expect(await entry!.text()).toBe("hello");
    expect(entry!.metadataText()).toBe("v2");
    expect((await reopened.store("notes").inspect("note-1"))!.generation).toBe(generation);
  });

  it("closes its connection when another connection deletes the database, then works on the new, empty one", async () => {
    const databaseName = unique("versionchange");
    const tabA = driver({ databaseName });
    const tabB = driver({ databaseName });
    await writeRecord(tabA, "k", record("v"), null);
    await tabB.destroy(); // would wait for ever if tab A kept its connection open
    expect(await tabA.read("k")).toBeNull();
    expect(await writeRecord(tabA, "k", record("again"), null)).toBe(true);
    expect(dec((await tabB.read("k"))!.value)).toBe("again");
  });
});

describe("connection loss", () => {
  it("reopens its connection when the browser closed it without notice (as Safari does), keeping the data", async () => {
    const open = vi.spyOn(indexedDB, "open");
    const store = driver({ databaseName: unique("dropped") });
    await writeRecord(store, "k", record("kept"), null);
    const connection = (open.mock.results[0]!.value as IDBOpenDBRequest).result;
    connection.close();
    expect(dec((await store.read("k"))!.value)).toBe("kept");
    expect(await writeRecord(store, "k2", record("new"), null)).toBe(true);
    expect(open).toHaveBeenCalledTimes(2);
  });
});

describe("clear errors instead of hangs", () => {
  it("rejects a deletion blocked by a connection that does not close, after timeoutMs, and deletes once it closes", async () => {
    const databaseName = unique("blocked");
    const store = driver({ databaseName, timeoutMs: 50 });
    await writeRecord(store, "k", record("v"), null);
    const otherTab = await rawOpen(databaseName); // opened without edge-kv: ignores versionchange
    const error = await rejection(store.destroy());
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' was not deleted within 50 ms: another connection to it (another tab or window of this site) is still open and did not close. ` +
        "The deletion stays queued and happens once that connection closes. Close the other tabs using this database and retry, or raise the timeoutMs option of IndexedDBDriver.",
    );
    otherTab.close();
    const reopened = await rawOpen(databaseName, 1, ["entries", "values"]);
    expect(await rawGet(reopened, "entries", enc("k").buffer)).toBeUndefined();
  });

  it("rejects an open that waits behind a blocked deletion, after timeoutMs", async () => {
    const databaseName = unique("queued");
    const deleter = driver({ databaseName, timeoutMs: 50 });
    await writeRecord(deleter, "k", record("v"), null);
    const otherTab = await rawOpen(databaseName);
    await rejection(deleter.destroy());
    const error = await rejection(driver({ databaseName, timeoutMs: 50 }).read("k"));
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' did not open within 50 ms: it is waiting behind another connection (another tab or window of this site) that holds it open or is deleting it. ` +
        "Close the other tabs using this database and retry, or raise the timeoutMs option of IndexedDBDriver.",
    );
    otherTab.close();
  });

  it("refuses a database of that name that edge-kv did not create, naming it", async () => {
    const databaseName = unique("foreign");
    (await rawOpen(databaseName, 1, ["keyval"])).close();
    const error = await rejection(driver({ databaseName }).read("k"));
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' exists but was not created by edge-kv (it has no 'entries' and 'values' object stores). ` +
        "Pass another databaseName to IndexedDBDriver, or delete that database (DevTools > Application > IndexedDB).",
    );
  });

  it("refuses a database with a newer layout version, naming it", async () => {
    const databaseName = unique("newer");
    (await rawOpen(databaseName, 7, ["entries", "values"])).close();
    const error = await rejection(writeRecord(driver({ databaseName }), "k", record("v"), null) as Promise<boolean>);
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' has a newer layout than this version of edge-kv reads (version 1). ` +
        "Upgrade edge-kv, pass another databaseName to IndexedDBDriver, or delete that database.",
    );
  });

  it("turns a full quota into an EdgeKvError naming database and key, and writes nothing", async () => {
    const databaseName = unique("quota");
    const registry = new KVRegistry();
    registry.defineStore("notes", { driver: driver({ databaseName }) });
    previousRegistry = setRegistry(registry);
    const store = new KVStore("notes");
    await store.put("k", "before");
    vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(() => {
      throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
    });
    const error = await rejection(store.put("k", "after, much longer"));
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' is over its storage quota: the write of key 'k' (18 bytes) was refused and nothing was written. ` +
        "Delete entries or stores you no longer need, or ask the browser to keep more with navigator.storage.persist().",
    );
    vi.restoreAllMocks();
    expect(await (await store.get("k"))!.text()).toBe("before");
  });
});

describe("constructor options", () => {
  const message = (make: () => unknown) => {
    try {
      make();
    } catch (error) {
      expect(error).toBeInstanceOf(EdgeKvError);
      return (error as Error).message;
    }
    throw new Error("expected the constructor to throw");
  };

  it("requires a non-empty storeName", () => {
    expect(message(() => new IndexedDBDriver({} as never))).toBe(
      "edge-kv: new IndexedDBDriver(options) needs options.storeName, a non-empty string (got undefined)",
    );
    expect(message(() => new IndexedDBDriver({ storeName: "" }))).toBe(
      'edge-kv: new IndexedDBDriver(options) needs options.storeName, a non-empty string (got "")',
    );
  });

  it("requires a positive timeoutMs", () => {
    expect(message(() => new IndexedDBDriver({ storeName: "notes", indexedDB, IDBKeyRange, timeoutMs: 0 }))).toBe(
      "edge-kv: IndexedDBDriver for store 'notes': timeoutMs must be a positive number of milliseconds, got 0",
    );
  });

  it("says how to get IndexedDB in Node when there is none", () => {
    expect(globalThis.indexedDB).toBeUndefined();
    expect(message(() => new IndexedDBDriver({ storeName: "notes" }))).toBe(
      "edge-kv: IndexedDBDriver for store 'notes': IndexedDB is not available here (no globalThis.indexedDB). " +
        'In Node, import "fake-indexeddb/auto" first, or pass { indexedDB, IDBKeyRange } from fake-indexeddb.',
    );
  });

  it("asks for the IDBKeyRange that goes with a custom indexedDB", () => {
    expect(message(() => new IndexedDBDriver({ storeName: "notes", indexedDB }))).toBe(
      "edge-kv: IndexedDBDriver for store 'notes': with a custom indexedDB, also pass the IDBKeyRange of the same implementation ({ indexedDB, IDBKeyRange }).",
    );
  });
});
