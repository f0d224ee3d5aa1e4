/**
 * Writes until killed: big values whose bytes are derived from their metadata (so a torn or mixed
 * record is detectable), and appends to a log key. Prints "ack <key> <n>" after each write resolves.
 * Small compaction threshold so kills also land in the middle of compactions.
 * Usage: crash-writer.ts <directory> <durable|relaxed> <first n>
 */
import { KVRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { KEYS, valueFor } from "./crash-pattern.js";

const [directory, durability, first] = process.argv.slice(2);
const registry = new KVRegistry();
const admin = registry.defineStore("crash", {
  driver: new FileSystemDriver({ directory: directory!, durability: durability as "durable" | "relaxed", compactAfterBytes: 256 * 1024 }),
});
const deadline = Date.now() + 20_000;
for (let n = Number(first); n < Number(first) + 100_000 && Date.now() < deadline; n++) {
  for (const [index, key] of KEYS.entries()) {
    await admin.put(key, valueFor(index, n), { metadata: String(n) });
    process.stdout.write(`ack ${key} ${n}\n`);
  }
  await admin.put("log", `${n};`, { mode: "append" });
  process.stdout.write(`ack log ${n}\n`);
}
