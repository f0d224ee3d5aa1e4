/**
 * What a benchmark subject is, and the in-process subjects every run includes: edge-kv on its memory
 * driver (through the public KVStore API) and the in-process limits (an awaited plain Map; a Map plus
 * a sorted key array). Peer libraries live in bench/peers/ and implement the same interface.
 */
import { KVRegistry, KVStore, MemoryDriver, setRegistry, type KVDriver } from "edge-kv";
import type { Workload } from "./suite.js";
import type { ClockKind } from "./harness.js";

/** One open store of a subject. Every method goes through the subject's own public API. */
export interface Handle {
  put(key: string, value: string): Promise<unknown>;
  /** Reads the value of an existing key as bytes (edge-kv: get + arrayBuffer()). */
  get(key: string): Promise<unknown>;
  /** edge-kv only: get + text(). */
  getText?(key: string): Promise<unknown>;
  /** Number of keys returned by one prefix listing of at most `limit` keys. */
  listPrefix(prefix: string, limit: number): Promise<number>;
  /** Every key, page by page; resolves the count. */
  listAll(): Promise<number>;
  /** Appends `chunk` to the value of `key` (peers without append: read, concatenate, write). */
  append(key: string, chunk: string): Promise<unknown>;
  putBytes(key: string, value: Uint8Array): Promise<unknown>;
  getBytes(key: string): Promise<unknown>;
  /** Faster fill for slow subjects (bulk API); defaults to put one by one. */
  fill?(keys: string[], from: number, value: string): Promise<void>;
  /** Closes this handle and opens the same persisted data again (persistent subjects only). */
  reopen?(): Promise<Handle>;
  close(): Promise<void>;
}

export interface Subject {
  name: string;
  /** What ratios are computed against it. */
  kind: "edge-kv" | "limit" | "peer";
  /** false: no warm-up pass on a scratch store before measuring (subjects that are slow to open). */
  warmUp?: boolean;
  /** Runs only in the first this-many runs (very slow peers), so the command stays bounded. */
  onlyFirstRuns?: number;
  /** Largest N this subject runs at (slow peers stop earlier). */
  maxKeys?: number;
  /** Cap on the sequential put phase, ms: after it the rest is filled with `fill` (put rate measured so far). */
  putBudgetMs?: number;
  /** "wall" for subjects that wait on I/O or another process; others follow the run's clock. */
  clock?: ClockKind;
  /** Workloads this subject runs (default: the worker's choice for the size). */
  workloads?: Workload[];
  open(): Promise<Handle>;
}

let storeCounter = 0;

/** edge-kv through `new KVStore(name)` on a fresh registry with the given driver. */
export async function openEdgeKv(driver: KVDriver, reopenWith?: () => Promise<KVDriver> | KVDriver, onClose?: () => Promise<void>): Promise<Handle> {
  const registry = new KVRegistry();
  const name = `bench${++storeCounter}`;
  registry.defineStore(name, { driver });
  setRegistry(registry);
  const store = new KVStore(name);
  const handle: Handle = {
    put: (key, value) => store.put(key, value),
    get: async (key) => {
      const entry = await store.get(key);
      return entry!.arrayBuffer();
    },
    getText: async (key) => {
      const entry = await store.get(key);
      return entry!.text();
    },
    listPrefix: async (prefix, limit) => (await store.list({ prefix, limit })).list.length,
    listAll: async () => {
      let count = 0;
      let cursor: string | undefined;
      do {
        const page: { list: string[]; cursor: string | undefined } = await store.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
        count += page.list.length;
        cursor = page.cursor;
      } while (cursor !== undefined);
      return count;
    },
    append: (key, chunk) => store.put(key, chunk, { mode: "append" }),
    putBytes: (key, value) => store.put(key, value),
    getBytes: async (key) => {
      const entry = await store.get(key);
      return entry!.arrayBuffer();
    },
    close: async () => {
      await registry.reset();
      await onClose?.();
    },
  };
  if (reopenWith) {
    handle.reopen = async () => {
      await registry.reset();
      return openEdgeKv(await reopenWith(), reopenWith, onClose);
    };
  }
  return handle;
}

export const edgeKvMemory: Subject = {
  name: "edge-kv memory",
  kind: "edge-kv",
  open: () => openEdgeKv(new MemoryDriver()),
};

const encoder = new TextEncoder();

/** The in-process limit: an awaited Map. Listing scans every key (a Map has no order). */
export const plainMap: Subject = {
  name: "Map (awaited)",
  kind: "limit",
  async open() {
    const map = new Map<string, string | Uint8Array>();
    return {
      put: async (key, value) => {
        map.set(key, value);
      },
      get: async (key) => map.get(key),
      getText: async (key) => map.get(key),
      listPrefix: async (prefix, limit) => {
        const found: string[] = [];
        for (const key of map.keys()) if (key.startsWith(prefix)) found.push(key);
        found.sort();
        return Math.min(found.length, limit);
      },
      listAll: async () => [...map.keys()].sort().length,
      append: async (key, chunk) => {
        map.set(key, concatBytes(map.get(key), chunk));
      },
      putBytes: async (key, value) => {
        map.set(key, value);
      },
      getBytes: async (key) => map.get(key),
      close: async () => map.clear(),
    };
  },
};

/** The in-process limit for ordered listing: a Map plus a key array sorted lazily before a listing. */
export const sortedArray: Subject = {
  name: "Map + sorted array",
  kind: "limit",
  async open() {
    const map = new Map<string, string | Uint8Array>();
    let keys: string[] = [];
    let added: string[] = [];
    const sorted = (): string[] => {
      if (added.length > 0) {
        keys = keys.concat(added).sort();
        added = [];
      }
      return keys;
    };
    const lowerBound = (list: string[], key: string): number => {
      let lo = 0;
      let hi = list.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (list[mid]! < key) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    const set = (key: string, value: string | Uint8Array) => {
      if (!map.has(key)) added.push(key);
      map.set(key, value);
    };
    return {
      put: async (key, value) => set(key, value),
      get: async (key) => map.get(key),
      getText: async (key) => map.get(key),
      listPrefix: async (prefix, limit) => {
        const list = sorted();
        let count = 0;
        for (let i = lowerBound(list, prefix); i < list.length && count < limit && list[i]!.startsWith(prefix); i++) count++;
        return count;
      },
      listAll: async () => {
        const list = sorted();
        let count = 0;
        for (let i = 0; i < list.length; i += 1000) count += list.slice(i, i + 1000).length;
        return count;
      },
      append: async (key, chunk) => set(key, concatBytes(map.get(key), chunk)),
      putBytes: async (key, value) => set(key, value),
      getBytes: async (key) => map.get(key),
      close: async () => {
        map.clear();
        keys = [];
        added = [];
      },
    };
  },
};

/**
 * The least any store can do behind `fastly:kv-store`'s API, for reading ratios against the awaited Map
 * (`bench/quick.ts --floor`): a Map of the values' UTF-8 bytes, with only what the API itself demands
 * and the edge-kv subject's await structure: put encodes the value; get resolves a promise with the
 * stored object, then `arrayBuffer()` resolves a fresh ArrayBuffer copy (Compute returns a new one
 * per call) or `text()` a strict UTF-8 decoding. No validation, generations, clock, order or limits.
 */
export const semanticFloor: Subject = {
  name: "API floor (Map of bytes)",
  kind: "limit",
  async open() {
    const map = new Map<string, Uint8Array>();
    const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
    const read = (key: string): Promise<Uint8Array> => Promise.resolve(map.get(key)!);
    const arrayBuffer = (bytes: Uint8Array): Promise<ArrayBuffer> => Promise.resolve(new Uint8Array(bytes).buffer);
    const text = (bytes: Uint8Array): Promise<string> => Promise.resolve(strict.decode(bytes));
    // Values are copied into shared 256 KiB slabs (one ArrayBuffer per value would cost more than the Map).
    let slab = new Uint8Array(0);
    let used = 0;
    const put = (key: string, value: string | Uint8Array): Promise<undefined> => {
      const room = typeof value === "string" ? value.length * 3 : value.length;
      if (room > 64 * 1024) map.set(key, typeof value === "string" ? encoder.encode(value) : value.slice());
      else {
        if (used + room > slab.length) [slab, used] = [new Uint8Array(256 * 1024), 0];
        const written = typeof value === "string" ? encoder.encodeInto(value, slab.subarray(used)).written : (slab.set(value, used), room);
        map.set(key, slab.subarray(used, used + written));
        used += written;
      }
      return Promise.resolve(undefined);
    };
    return {
      put,
      get: async (key) => arrayBuffer(await read(key)),
      getText: async (key) => text(await read(key)),
      listPrefix: async () => 0,
      listAll: async () => map.size,
      append: (key, chunk) => put(key, concatBytes(map.get(key), chunk)),
      putBytes: put,
      getBytes: async (key) => arrayBuffer(await read(key)),
      close: async () => map.clear(),
    };
  },
};

/** Appends like a byte store must (a JS string `+` is an O(1) rope, which no KV store gets to use). */
function concatBytes(current: string | Uint8Array | undefined, chunk: string): Uint8Array {
  const head = typeof current === "string" ? encoder.encode(current) : (current ?? new Uint8Array(0));
  const tail = encoder.encode(chunk);
  const out = new Uint8Array(head.byteLength + tail.byteLength);
  out.set(head, 0);
  out.set(tail, head.byteLength);
  return out;
}
