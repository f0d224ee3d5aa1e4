/**
 * Writes until killed: big values whose bytes are derived from their metadata (so a torn or mixed
 * record is detectable), and appends to a log key. Prints "ack <key> <n>" after each write resolves.
 * Small compaction threshold so kills also land in the middle of compactions.
 * With "odd", the keys are ODD_KEYS (and ODD_LOG) and each ack names the key by its index.
 * Usage: crash-writer.ts <directory> <durable|relaxed> <first n> [odd]
 */
import { KVRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { KEYS, ODD_KEYS, ODD_LOG, metadataFor, valueFor } from "./crash-pattern.js";

const [directory, durability, first, mode] = process.argv.slice(2);
const odd = mode === "odd";
const keys = odd ? ODD_KEYS : KEYS;
const registry = new KVRegistry();
const admin = registry.defineStore("crash", {
  driver: new FileSystemDriver({ directory: directory!, durability: durability as "durable" | "relaxed", compactAfterBytes: 256 * 1024 }),
});
const deadline = Date.now() + 20_000;
for (let n = Number(first); n < Number(first) + 100_000 && Date.now() < deadline; n++) {
  for (const [index, key] of keys.entries()) {
    await admin.put(key, valueFor(index, n), { metadata: metadataFor(n, odd) });
    process.stdout.write(`ack ${odd ? index : key} ${n}\n`);
  }
  await admin.put(odd ? ODD_LOG : "log", `${n};`, { mode: "append" });
  process.stdout.write(`ack log ${n}\n`);
}
