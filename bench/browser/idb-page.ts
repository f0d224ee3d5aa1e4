/**
 * Runs in Chromium (bench/idb-chromium.ts): sequential puts, gets and prefix lists through edge-kv's
 * IndexedDBDriver (KVStore) and idb-keyval, on the browser's real IndexedDB.
 */
import { IndexedDBDriver, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { createStore, get as idbGet, set as idbSet } from "idb-keyval";

const VALUE = "v".repeat(100);
const key = (i: number) => `p${String(i % 100).padStart(2, "0")}/session/${String(i).padStart(10, "0")}/profile`;
let counter = 0;

async function timePer(count: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < count; i++) await op(i);
  return (performance.now() - started) / count;
}

/** ms per operation of each subject for `n` keys: put (fresh keys), get. */
async function run(n: number): Promise<Record<string, number>> {
  const round = ++counter;
  const encoder = new TextEncoder();
  const keyval = createStore(`bench-keyval-${round}-${Date.now()}`, "kv");
  const registry = new KVRegistry();
  registry.defineStore("s", { driver: new IndexedDBDriver({ storeName: `bench-edge-${round}-${Date.now()}` }) });
  setRegistry(registry);
  const store = new KVStore("s");
  await idbSet("warm", encoder.encode(VALUE), keyval);
  await store.put("warm", VALUE);
  const out: Record<string, number> = {};
  out["idb-keyval put"] = await timePer(n, (i) => idbSet(key(i), encoder.encode(VALUE), keyval));
  out["edge-kv put"] = await timePer(n, (i) => store.put(key(i), VALUE));
  out["idb-keyval get"] = await timePer(n, (i) => idbGet(key(i), keyval));
  out["edge-kv get"] = await timePer(n, async (i) => (await store.get(key(i)))!.arrayBuffer());
  await registry.removeStore("s");
  return out;
}

(globalThis as { runBench?: typeof run }).runBench = run;
