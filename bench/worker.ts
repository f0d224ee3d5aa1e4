/**
 * `npm run bench` worker: edge-kv's own drivers against in-process baselines, for one store size.
 * Drivers are added here as they land (an entry point that does not exist yet bundles empty and its
 * subjects are skipped).
 */
import * as edgeKv from "edge-kv";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { createStore, get as idbGet, keys as idbKeys, set as idbSet, setMany as idbSetMany } from "idb-keyval";
import { edgeKvMemory, openEdgeKv, plainMap, sortedArray, type Handle, type Subject } from "./lib/subjects.js";
import type { Workload } from "./lib/suite.js";
import { workerMain } from "./lib/worker-main.js";
import { fsSubjects } from "./lib/fs-subjects.js";
import { serverSubjects } from "./lib/server-subjects.js";

const MEMORY_ONLY_AT = 1_000_000;

let databaseCounter = 0;

/** edge-kv's IndexedDB driver on a fresh fake-indexeddb factory. */
const edgeKvIndexedDB: Subject = {
  name: "edge-kv IndexedDB",
  kind: "edge-kv",
  maxKeys: 10_000,
  async open() {
    const Driver = (edgeKv as unknown as { IndexedDBDriver?: new (options: object) => edgeKv.KVDriver }).IndexedDBDriver;
    if (!Driver) throw new Error("IndexedDBDriver is not exported from edge-kv");
    return openEdgeKv(new Driver({ storeName: `bench${++databaseCounter}`, indexedDB: new IDBFactory(), IDBKeyRange }));
  },
};

/** The baseline issue 4 names: idb-keyval on fake-indexeddb, prefix listing = keys() + filter. */
export const idbKeyvalBaseline: Subject = {
  name: "idb-keyval keys()+filter",
  kind: "limit",
  maxKeys: 10_000,
  async open(): Promise<Handle> {
    (globalThis as { indexedDB?: IDBFactory }).indexedDB = new IDBFactory();
    const store = createStore(`baseline${++databaseCounter}`, "kv");
    const encoder = new TextEncoder();
    const listPrefix = async (prefix: string, limit: number) => {
      const all = (await idbKeys(store)) as string[];
      return all.filter((key) => key.startsWith(prefix)).sort().slice(0, limit).length;
    };
    return {
      put: (key, value) => idbSet(key, encoder.encode(value), store),
      get: (key) => idbGet(key, store),
      listPrefix,
      listAll: async () => ((await idbKeys(store)) as string[]).sort().length,
      append: async (key, chunk) => idbSet(key, `${(await idbGet<string>(key, store)) ?? ""}${chunk}`, store),
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

const IDB_WORKLOADS: Workload[] = ["put", "get", "listPrefix"];

await workerMain(async (n) => {
  const subjects: Subject[] = [plainMap, sortedArray, edgeKvMemory];
  if (n < MEMORY_ONLY_AT) {
    subjects.push(...(await fsSubjects()));
    if ("IndexedDBDriver" in edgeKv) subjects.push(edgeKvIndexedDB, idbKeyvalBaseline);
    subjects.push(...(await serverSubjects()));
  }
  return {
    subjects,
    workloadsAt: (size, subject) => {
      if (subject === edgeKvIndexedDB || subject === idbKeyvalBaseline) return IDB_WORKLOADS;
      if (subject.workloads) return subject.workloads;
      if (size >= MEMORY_ONLY_AT) return ["put", "get", "getText", "listPrefix", "listAll", "mixed"];
      return ["put", "get", "getText", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"];
    },
  };
});
