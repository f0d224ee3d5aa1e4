/**
 * One of several processes working on the same Redis store: generation-checked increments of a
 * counter (read, write if the generation still matches, retry), appends and prepends to shared logs,
 * and `add` races for a set of keys. Waits for the key `<store>:go` so all start together, then prints
 * one JSON line with what it did.
 * Usage: contender.ts <redis url> <store> <id> <iterations>
 */
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { contend } from "../../contract/contend.js";
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

const { wins, conflicts } = await contend(admin, store, id!, iterations);
await registry.reset();
await stores.close();
process.stdout.write(`${JSON.stringify({ id, wins, conflicts })}\n`);
