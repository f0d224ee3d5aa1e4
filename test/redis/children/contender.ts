/**
 * One of several processes working on the same Redis store: generation-checked increments of a
 * counter (read, write if the generation still matches, retry), appends and prepends to shared logs,
 * and `add` races for a set of keys. Waits for the key `<store>:go` so all start together, then prints
 * one JSON line with what it did.
 * Usage: contender.ts <redis url> <store> <id> <iterations>
 */
import { KVError, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { redisStores } from "edge-kv/redis";

const [url, storeName, id, iterationsText] = process.argv.slice(2);
const iterations = Number(iterationsText);
const stores = redisStores(url!);
const registry = new KVRegistry({ createDriver: stores });
const admin = registry.defineStore(storeName!);
setRegistry(registry);
const store = new KVStore(storeName!);

process.stdout.write("ready\n");
for (let i = 0; i < 4000 && (await admin.inspect("go")) === null; i++) await new Promise((resolve) => setTimeout(resolve, 5));

let conflicts = 0;
const wins: string[] = [];
for (let n = 0; n < iterations; n++) {
  for (let attempt = 0; ; attempt++) {
    if (attempt > 10_000) throw new Error("counter never settled");
    const current = await admin.inspect("counter");
    try {
      if (current === null) await admin.put("counter", "1", { mode: "add" });
      else await admin.put("counter", String(Number(current.text) + 1), { ifGenerationMatch: current.generation });
      break;
    } catch (error) {
      if (!(error instanceof KVError && error.code === "precondition-failed")) throw error;
      conflicts++;
    }
  }
  await store.put("log", `${id}:${n},`, { mode: "append" });
  await store.put("prepended", `${id}:${n},`, { mode: "prepend" });
  const race = `once-${n % 10}`;
  try {
    await store.put(race, id!, { mode: "add" });
    wins.push(race);
  } catch (error) {
    if (!(error instanceof TypeError && error.message === "KVStore insert: Precondition failed.")) throw error;
  }
}
await registry.reset();
await stores.close();
process.stdout.write(`${JSON.stringify({ id, wins, conflicts })}\n`);
