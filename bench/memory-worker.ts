/**
 * Resident memory of N keys (~30-byte keys, 100-byte values), measured in a fresh process:
 * memoryUsage() after a full GC, before and after filling the store. `--subject edge-kv` fills the
 * memory driver through KVStore.put; `--subject map` fills a Map<string, Uint8Array> (the raw floor).
 */
import { KVRegistry, KVStore, MemoryDriver, setRegistry } from "edge-kv";
import { gc, parseArgs } from "./lib/harness.js";
import { makeKey, VALUE } from "./lib/suite.js";

const args = parseArgs(process.argv.slice(2));
const n = Number(args.get("n") ?? "1000000");
const subject = args.get("subject") ?? "edge-kv";

function usage() {
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

// Keys are made inside the loop (not kept in an array) so only the store holds them.
const before = usage();
let keep: unknown;
let rawBytes = 0;
if (subject === "map") {
  const encoder = new TextEncoder();
  const map = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    const key = makeKey(i);
    map.set(key, encoder.encode(VALUE));
    rawBytes += key.length + VALUE.length;
  }
  keep = map;
} else {
  const driver = new MemoryDriver();
  const registry = new KVRegistry();
  registry.defineStore("memory", { driver });
  setRegistry(registry);
  const store = new KVStore("memory");
  for (let i = 0; i < n; i++) {
    const key = makeKey(i);
    await store.put(key, VALUE);
    rawBytes += key.length + VALUE.length;
  }
  keep = driver;
  if (driver.size !== n) throw new Error(`memory driver holds ${driver.size} records, expected ${n}`);
}
const after = usage();
const delta = {
  rss: after.rss - before.rss,
  heapUsed: after.heapUsed - before.heapUsed,
  external: after.external - before.external,
  arrayBuffers: after.arrayBuffers - before.arrayBuffers,
};
process.stdout.write(`${JSON.stringify({ subject, n, rawBytes, before, after, delta, kept: keep !== undefined })}\n`);
