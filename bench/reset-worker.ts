/**
 * What a test suite pays per test: `await kv.reset()` of a TestKv whose store is seeded with n
 * 100-byte values, after a "test" that wrote three keys (one new) and deleted one. Prints, per seed
 * size, the first seeding and the median reset, in ms of CPU time.
 *
 *   node reset-worker.mjs --sizes 10,10000,100000 --resets 15
 */
import { KVStore } from "edge-kv";
import { createTestKv } from "edge-kv/testing";
import { gc, median, parseArgs } from "./lib/harness.js";
import { makeKey, VALUE } from "./lib/suite.js";

const args = parseArgs(process.argv.slice(2));
const sizes = (args.get("sizes") ?? "10,10000,100000").split(",").map(Number);
const resets = Number(args.get("resets") ?? 15);
const cpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

const results: { seed: number; firstMs: number; resetMs: number }[] = [];
for (const n of sizes) {
  const seed: Record<string, string> = {};
  for (let i = 0; i < n; i++) seed[makeKey(i)] = VALUE;
  const kv = createTestKv({ stores: { bench: { seed } } });
  gc();
  let started = cpu();
  await kv.ready();
  const firstMs = cpu() - started;
  const times: number[] = [];
  for (let r = 0; r < resets; r++) {
    const store = new KVStore("bench");
    await store.put(makeKey(r % n), "changed");
    await store.put(makeKey((r * 7) % n), "changed", { mode: "append" });
    await store.put(`new/${r}`, "added");
    await store.delete(makeKey((r * 13) % n)).catch(() => undefined);
    started = cpu();
    await kv.reset();
    times.push(cpu() - started);
  }
  results.push({ seed: n, firstMs, resetMs: median(times) });
  kv.restore();
}
process.stdout.write(`${JSON.stringify({ reset: results })}\n`);
