/**
 * `npm run bench:peers` worker: edge-kv side by side with peers, each through its own public API,
 * for one store size. Peers resolve from bench/peers/node_modules (this bundle is written to
 * bench/peers/.bench-tmp/), so the library's own install stays lean.
 */
import { Miniflare } from "miniflare";
import Keyv from "keyv";
import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import fsDriver from "unstorage/drivers/fs";
import { mkdir, rm } from "node:fs/promises";
import { edgeKvMemory, plainMap, sortedArray, type Handle, type Subject } from "../lib/subjects.js";
import { fsFolder, fsSubjects } from "../lib/fs-subjects.js";
import { edgeKvIndexedDB, idbKeyvalBaseline, IDB_WORKLOADS } from "../lib/idb-subjects.js";
import type { Workload } from "../lib/suite.js";
import { workerMain } from "../lib/worker-main.js";

/** unstorage normalises `/` in keys to `:`; a prefix `p07/` is the base `p07`. Listing has no limit, so sort and cut. */
function unstorageHandle(storage: ReturnType<typeof createStorage>, onClose: () => Promise<void>): Handle {
  const toBase = (prefix: string) => prefix.replace(/\//g, ":").replace(/:$/, "");
  return {
    fill: async (keys, from, value) => {
      for (let i = from; i < keys.length; i += 100) await storage.setItems(keys.slice(i, i + 100).map((key) => ({ key, value })));
    },
    put: (key, value) => storage.setItem(key, value),
    get: (key) => storage.getItem(key),
    listPrefix: async (prefix, limit) => (await storage.getKeys(toBase(prefix))).sort().slice(0, limit).length,
    listAll: async () => (await storage.getKeys()).sort().length,
    append: async (key, chunk) => storage.setItem(key, `${(await storage.getItem<string>(key)) ?? ""}${chunk}`),
    putBytes: (key, value) => storage.setItemRaw(key, value),
    getBytes: (key) => storage.getItemRaw(key),
    close: async () => {
      await storage.dispose();
      await onClose();
    },
  };
}

const unstorageMemory: Subject = {
  name: "unstorage memory",
  kind: "peer",
  async open() {
    return unstorageHandle(createStorage({ driver: memoryDriver() }), async () => undefined);
  },
};

const unstorageFs: Subject = {
  name: "unstorage fs",
  kind: "peer",
  clock: "wall",
  // One run: at 100k keys a listing walks 100k folders (seconds) and the fill alone takes ~40 s.
  onlyFirstRuns: 1,
  putBudgetMs: 10_000,
  workloads: ["put", "get", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"],
  async open() {
    const base = fsFolder("unstorage");
    await mkdir(base, { recursive: true });
    return unstorageHandle(createStorage({ driver: fsDriver({ base }) }), () => rm(base, { recursive: true, force: true }));
  },
};

/** keyv's default in-memory store; it has no prefix listing, so listing walks iterator() and filters. */
const keyv: Subject = {
  name: "keyv",
  kind: "peer",
  async open() {
    const store = new Keyv();
    const walk = async (prefix: string) => {
      const found: string[] = [];
      for await (const [key] of store.iterator!(undefined)) if ((key as string).startsWith(prefix)) found.push(key as string);
      return found.sort();
    };
    return {
      put: (key, value) => store.set(key, value),
      get: (key) => store.get(key),
      listPrefix: async (prefix, limit) => (await walk(prefix)).slice(0, limit).length,
      listAll: async () => (await walk("")).length,
      append: async (key, chunk) => store.set(key, `${(await store.get<string>(key)) ?? ""}${chunk}`),
      putBytes: (key, value) => store.set(key, value),
      getBytes: (key) => store.get(key),
      close: async () => {
        await store.clear();
      },
    };
  },
};

/**
 * Miniflare's KV namespace from Node (`getKVNamespace`): each call is a round trip to workerd.
 * Its put rate (~60–1,000/s depending on load) makes fills slow, so it runs at 10k keys in the first
 * run only, the put phase is capped and the rest is filled with concurrent puts.
 */
/** The part of Workers' KVNamespace used here. */
interface MiniflareKV {
  put(key: string, value: string | Uint8Array): Promise<void>;
  get(key: string): Promise<string | null>;
  get(key: string, type: "arrayBuffer"): Promise<ArrayBuffer | null>;
  list(options: { prefix?: string; limit?: number; cursor?: string }): Promise<{ keys: { name: string }[]; list_complete: boolean; cursor?: string }>;
}

const miniflare: Subject = {
  name: "Miniflare KV",
  kind: "peer",
  clock: "wall",
  maxKeys: 10_000,
  onlyFirstRuns: 1,
  warmUp: false,
  putBudgetMs: 5000,
  workloads: ["put", "get", "listPrefix", "listAll", "mixed"],
  async open() {
    const mf = new Miniflare({
      modules: true,
      script: "export default { fetch() { return new Response('ok'); } }",
      kvNamespaces: ["NS"],
    });
    const ns = (await mf.getKVNamespace("NS")) as unknown as MiniflareKV;
    return {
      put: (key, value) => ns.put(key, value),
      get: (key) => ns.get(key),
      listPrefix: async (prefix, limit) => (await ns.list({ prefix, limit })).keys.length,
      listAll: async () => {
        let count = 0;
        let cursor: string | undefined;
        for (;;) {
          const page = await ns.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
          count += page.keys.length;
          if (page.list_complete) return count;
          cursor = page.cursor;
        }
      },
      append: async (key, chunk) => ns.put(key, `${(await ns.get(key)) ?? ""}${chunk}`),
      putBytes: (key, value) => ns.put(key, value),
      getBytes: (key) => ns.get(key, "arrayBuffer"),
      fill: async (keys, from, value) => {
        for (let i = from; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => ns.put(key, value)));
      },
      close: () => mf.dispose(),
    };
  },
};

const IDB_KEYS = 100_000;

await workerMain(async () => {
  const idb = edgeKvIndexedDB(IDB_KEYS);
  const fs = (await fsSubjects()).filter((s) => s.name.includes("relaxed"));
  const subjects: Subject[] = [
    plainMap,
    sortedArray,
    edgeKvMemory,
    unstorageMemory,
    keyv,
    ...fs,
    unstorageFs,
    ...(idb ? [idb] : []),
    idbKeyvalBaseline(IDB_KEYS),
    miniflare,
  ];
  return {
    subjects,
    workloadsAt: (_n, subject): Workload[] => {
      if (subject.name.includes("IndexedDB") || subject.name.startsWith("idb-keyval")) return [...IDB_WORKLOADS];
      if (subject.workloads) return subject.workloads.filter((w) => w !== "coldOpen");
      return ["put", "get", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"];
    },
  };
});
