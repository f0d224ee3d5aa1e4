/**
 * IndexedDB subjects on fake-indexeddb (a fresh IDBFactory per store, so stores never share a
 * database): edge-kv's IndexedDBDriver through KVStore, and the baseline issue 4 names, idb-keyval
 * with prefix listing as `keys()` + filter.
 */
import * as edgeKv from "edge-kv";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createStore, get as idbGet, keys as idbKeys, set as idbSet, setMany as idbSetMany } from "idb-keyval";
import { openEdgeKv, type Handle, type Subject } from "./subjects.js";

let databaseCounter = 0;

/** Fills with concurrent puts (bounded batches): the fastest way through KVStore's public API. */
async function concurrentFill(handle: Handle, keys: string[], from: number, value: string): Promise<void> {
  for (let i = from; i < keys.length; i += 100) await Promise.all(keys.slice(i, i + 100).map((key) => handle.put(key, value)));
}

export function edgeKvIndexedDB(maxKeys: number): Subject | null {
  const Driver = (edgeKv as unknown as { IndexedDBDriver?: new (options: object) => edgeKv.KVDriver }).IndexedDBDriver;
  if (!Driver) return null;
  return {
    name: "edge-kv IndexedDB",
    kind: "edge-kv",
    maxKeys,
    putBudgetMs: 8000,
    async open() {
      const handle = await openEdgeKv(new Driver({ storeName: `bench${++databaseCounter}`, indexedDB: new IDBFactory(), IDBKeyRange }));
      handle.fill = (keys, from, value) => concurrentFill(handle, keys, from, value);
      return handle;
    },
  };
}

export function idbKeyvalBaseline(maxKeys: number): Subject {
  return {
    name: "idb-keyval keys()+filter",
    kind: "peer",
    maxKeys,
    putBudgetMs: 8000,
    async open(): Promise<Handle> {
      (globalThis as { indexedDB?: IDBFactory }).indexedDB = new IDBFactory();
      const store = createStore(`baseline${++databaseCounter}`, "kv");
      const encoder = new TextEncoder();
      return {
        put: (key, value) => idbSet(key, encoder.encode(value), store),
        get: (key) => idbGet(key, store),
        listPrefix: async (prefix, limit) => {
          const all = (await idbKeys(store)) as string[];
          return all.filter((key) => key.startsWith(prefix)).sort().slice(0, limit).length;
        },
        listAll: async () => ((await idbKeys(store)) as string[]).sort().length,
        append: async (key, chunk) => {
          const current = (await idbGet<Uint8Array>(key, store)) ?? new Uint8Array(0);
          const tail = encoder.encode(chunk);
          const next = new Uint8Array(current.byteLength + tail.byteLength);
          next.set(current, 0);
          next.set(tail, current.byteLength);
          await idbSet(key, next, store);
        },
        putBytes: (key, value) => idbSet(key, value, store),
        getBytes: (key) => idbGet(key, store),
        fill: async (keys, from, value) => {
          const bytes = encoder.encode(value);
          for (let i = from; i < keys.length; i += 1000) await idbSetMany(keys.slice(i, i + 1000).map((key) => [key, bytes]), store);
        },
        close: async () => undefined,
      };
    },
  };
}

export const IDB_WORKLOADS = ["put", "get", "listPrefix", "listAll"] as const;
