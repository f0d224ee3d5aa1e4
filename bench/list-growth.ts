/**
 * A quick same-run check of issue 14's list-growth target for A/B work (not part of the reports):
 * list({prefix, limit: 100}) through KVStore on the memory driver, for a small and a large store
 * built as `npm run bench` builds them (same keys, same order, same values), both alive in one
 * process. Batches of calls alternate between the two stores, on CPU time, so both sides of each
 * round's ratio see the same machine state; prints the median cost per call of each, their ratio
 * (the growth the bench reports) and the spread of the per-round ratios.
 *
 *   node --import tsx bench/list-growth.ts [--sizes 10000,1000000] [--rounds 2000] [--batch 100]
 *   EDGE_KV_BENCH_SRC=/path/to/other/src node --import tsx bench/list-growth.ts   # the same for another copy of src/
 */
import { spawnSync } from "node:child_process";
import { bundle } from "./lib/build.js";

if (process.argv[2] !== "--child") {
  const script = await bundle("bench/list-growth.ts", `.bench-tmp/list-growth${process.env.EDGE_KV_BENCH_SRC ? "-alt" : ""}.mjs`);
  const run = spawnSync(process.execPath, ["--expose-gc", script, "--child", ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
} else {
  const { parseArgs, median, gc, randomInts, useClock, clockNow } = await import("./lib/harness.js");
  const { makeKeys, VALUE } = await import("./lib/suite.js");
  const { edgeKvMemory } = await import("./lib/subjects.js");
  type Handle = Awaited<ReturnType<typeof edgeKvMemory.open>>;
  const args = parseArgs(process.argv.slice(3));
  const sizes = (args.get("sizes") ?? "10000,1000000").split(",").map(Number) as [number, number];
  const rounds = Number(args.get("rounds") ?? 2000);
  const batch = Number(args.get("batch") ?? 100);
  const keys = makeKeys(Math.max(...sizes));
  interface Store {
    n: number;
    handle: Handle;
    random: (below: number) => number;
    perPrefix: number;
    micros: number[];
  }
  const stores: Store[] = [];
  for (const n of sizes) {
    const handle = await edgeKvMemory.open();
    for (let i = 0; i < n; i++) await handle.put(keys[i]!, VALUE);
    await handle.listPrefix("p00/", 100); // orders the new keys, as the bench's first list does
    stores.push({ n, handle, random: randomInts(0x9e3779b9 ^ n), perPrefix: Math.min(100, Math.floor(n / 100)), micros: [] });
  }
  useClock("cpu");
  const measure = async (store: Store) => {
    const start = clockNow();
    for (let k = 0; k < batch; k++) {
      const prefix = `p${String(store.random(100)).padStart(2, "0")}/`;
      const count = await store.handle.listPrefix(prefix, 100);
      if (count !== store.perPrefix) throw new Error(`list(${prefix}) at ${store.n} keys returned ${count} keys, expected ${store.perPrefix}`);
    }
    return ((clockNow() - start) * 1000) / batch;
  };
  const [small, large] = stores as [Store, Store];
  for (let warm = 0; warm < 3; warm++) for (const store of stores) await measure(store);
  const growth: number[] = [];
  gc();
  for (let round = 0; round < rounds; round++) {
    // Alternate which store goes first; short batches, so the medians leave out the batches a GC lands in (as the bench's do).
    const order = round % 2 === 0 ? [small, large] : [large, small];
    for (const store of order) store.micros.push(await measure(store));
    growth.push(large.micros[round]! / small.micros[round]!);
  }
  const sorted = [...growth].sort((a, b) => a - b);
  const quartile = (q: number) => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(2);
  console.log(
    `list({prefix, limit: 100}): ${small.n} keys ${median(small.micros).toFixed(2)} µs/call, ${large.n} keys ${median(large.micros).toFixed(2)} µs/call; growth ${(median(large.micros) / median(small.micros)).toFixed(3)}× (ratio of the medians); per round: median ${median(growth).toFixed(3)}×, quartiles ${quartile(0.25)}–${quartile(0.75)}, ${rounds} rounds of ${batch} calls`,
  );
}
