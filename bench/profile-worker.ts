/**
 * The workload `bench/profile.ts` profiles: one operation repeated on a 100k-key memory store through
 * KVStore (random keys), timed on CPU time.
 */
import { KVRegistry, KVStore, MemoryDriver, setRegistry } from "edge-kv";
import { makeKeys, VALUE } from "./lib/suite.js";

const operation = process.argv[2] ?? "get";
const n = Number(process.argv[3] ?? 100_000);
const keys = makeKeys(n);
const registry = new KVRegistry();
registry.defineStore("profile", { driver: new MemoryDriver() });
setRegistry(registry);
const store = new KVStore("profile");
for (let i = 0; i < n; i++) await store.put(keys[i]!, VALUE);
let seed = 12345;
const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) % n;

const started = process.cpuUsage();
let count = 0;
if (operation === "get") for (; count < 600_000; count++) await (await store.get(keys[random()]!))!.arrayBuffer();
else if (operation === "put") for (; count < 600_000; count++) await store.put(keys[random()]!, VALUE);
else if (operation === "insert") {
  // Sequential puts of fresh keys into empty stores (the "sequential put" workload).
  for (let round = 0; round < 6; round++) {
    registry.defineStore(`insert${round}`, { driver: new MemoryDriver() });
    const fresh = new KVStore(`insert${round}`);
    for (let i = 0; i < n; i++, count++) await fresh.put(keys[i]!, VALUE);
  }
} else if (operation === "list") for (; count < 100_000; count++) await store.list({ prefix: `p${String(random() % 100).padStart(2, "0")}/`, limit: 100 });
else if (operation === "listAll") {
  for (let round = 0; round < 20; round++) {
    let cursor: string | undefined;
    do {
      const page: { list: string[]; cursor: string | undefined } = await store.list(cursor === undefined ? { limit: 1000 } : { limit: 1000, cursor });
      cursor = page.cursor;
      count++;
    } while (cursor);
  }
} else throw new Error(`profile: unknown operation ${operation} (get, put, insert, list, listAll)`);
const used = process.cpuUsage(started);
console.log(`${operation}: ${count} calls in ${((used.user + used.system) / 1000).toFixed(0)} ms CPU`);
