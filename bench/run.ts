/**
 * `npm run bench`: edge-kv's own drivers against in-process baselines, in fresh processes, then
 * docs/benchmarks.md. Bounded: every worker process has a time limit and the whole command stops
 * launching new work after --budget seconds (default 300).
 *
 *   npm run bench                        # 3 runs at 10k, 100k, 1M keys (1M: memory only) + memory at 1M
 *   npm run bench -- --runs 5 --sizes 10000,100000 --time 300
 *   npm run bench -- --quick             # 1 run, 10k keys: a smoke test of the harness
 */
import { bundle } from "./lib/build.js";
import { parseArgs } from "./lib/harness.js";
import { machine, runSuite, runWorker } from "./lib/orchestrate.js";
import { saveSuite, type MemoryResult, type SavedSuite } from "./lib/report.js";
import { renderDocs } from "./lib/docs.js";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./lib/build.js";
import { measureChromium } from "./idb-chromium.js";

const args = parseArgs(process.argv.slice(2));
const quick = args.has("quick");
const runs = Number(args.get("runs") ?? (quick ? 1 : 3));
const sizes = (args.get("sizes") ?? (quick ? "10000" : "10000,100000,1000000")).split(",").map(Number);
const timeMs = Number(args.get("time") ?? (quick ? 100 : 200));
const budgetMs = Number(args.get("budget") ?? 300) * 1000;
const clock = args.get("clock") ?? "cpu";
const memoryKeys = Number(args.get("memory-keys") ?? (quick ? 100_000 : 1_000_000));
const started = Date.now();
const startMachine = machine();

process.stderr.write(`edge-kv bench: ${runs} run(s) at ${sizes.join(", ")} keys, ${timeMs} ms per measurement, budget ${budgetMs / 1000} s\n`);
const worker = await bundle("bench/worker.ts", ".bench-tmp/worker.mjs");
const memoryWorker = await bundle("bench/memory-worker.ts", ".bench-tmp/memory-worker.mjs");

const { results, skipped } = await runSuite({ worker, runs, sizes, timeMs, clock, started, budgetMs, timeoutMs: 240_000 });

const memory: MemoryResult[] = [];
for (const subject of ["map", "edge-kv"]) {
  process.stderr.write(`memory: ${subject} at ${memoryKeys} keys\n`);
  const out = await runWorker({ script: memoryWorker, args: ["--subject", subject, "--n", String(memoryKeys)], timeoutMs: 120_000 });
  if (out) memory.push({ subject: subject === "map" ? "Map<string, Uint8Array>" : "edge-kv memory", n: out.n as number, rawBytes: out.rawBytes as number, delta: out.delta as MemoryResult["delta"] });
}

// Per-test reset (createTestKv + kv.reset()) by seed size, one fresh process per run.
const resetWorker = await bundle("bench/reset-worker.ts", ".bench-tmp/reset-worker.mjs");
const reset: NonNullable<SavedSuite["reset"]> = [];
for (let run = 0; run < runs; run++) {
  process.stderr.write(`reset: run ${run + 1}/${runs}\n`);
  const out = await runWorker({ script: resetWorker, args: ["--sizes", quick ? "10,10000" : "10,10000,100000", "--resets", "15"], timeoutMs: 120_000 });
  for (const row of (out?.reset ?? []) as { seed: number; firstMs: number; resetMs: number }[]) {
    let entry = reset.find((r) => r.seed === row.seed);
    if (!entry) reset.push((entry = { seed: row.seed, firstMs: [], resetMs: [] }));
    entry.firstMs.push(row.firstMs);
    entry.resetMs.push(row.resetMs);
  }
}

// Durable filesystem writes (group commit): 1 writer, 16 in one process, 16 over 4 processes; wall clock.
const durableWorker = await bundle("bench/durable-worker.ts", ".bench-tmp/durable-worker.mjs");
const durable: NonNullable<SavedSuite["durable"]> = [
  { writers: 1, processes: 1, writesPerSecond: [] },
  { writers: 16, processes: 1, writesPerSecond: [] },
  { writers: 16, processes: 4, writesPerSecond: [] },
];
for (let run = 0; run < runs; run++) {
  for (const config of durable) {
    process.stderr.write(`durable fs writes: run ${run + 1}/${runs}, ${config.writers} writer(s) in ${config.processes} process(es)\n`);
    const args = ["--dir", join(ROOT, ".bench-tmp", "durable"), "--writers", String(config.writers), "--processes", String(config.processes), "--ms", quick ? "1000" : "3000"];
    const out = await runWorker({ script: durableWorker, args, timeoutMs: 60_000 });
    if (out) config.writesPerSecond.push(out.writesPerSecond as number);
  }
}

// edge-kv's IndexedDB driver and idb-keyval in real Chromium (skipped when Chromium is missing).
let chromium: Record<string, number[]> | undefined;
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (existsSync(chromiumPath)) {
  process.stderr.write(`IndexedDB in Chromium: ${quick ? 2 : 2 * runs + 1} rounds\n`);
  chromium = await measureChromium({ n: quick ? 200 : 500, rounds: quick ? 2 : 2 * runs + 1 });
} else process.stderr.write(`IndexedDB in Chromium: skipped (${chromiumPath} is missing)\n`);

for (const r of reset) process.stderr.write(`  reset, seed ${r.seed}: first seeding ${r.firstMs.map((v) => v.toFixed(1)).join("/")} ms, reset ${r.resetMs.map((v) => v.toFixed(3)).join("/")} ms\n`);
for (const d of durable) process.stderr.write(`  durable, ${d.writers} writer(s) / ${d.processes} process(es): ${d.writesPerSecond.map((v) => v.toFixed(0)).join("/")} writes/s\n`);


await (await import("./wasm/run.js")).runWasmBench({ quick }); // wasm host: bench/wasm/
await (await import("./redis/run.js")).benchRedis({ quick, runs }); // Redis driver vs raw ioredis, fs and memory (1 and 8 clients)
await (await import("./host/run.js")).runHostBench({ runs, timeMs, httpMs: quick ? 1000 : 3000, concurrency: 8 }); // app host: bench/host/

if (quick) {
  // A smoke test: its single short run is not worth recording over the real figures.
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s (--quick: results printed above, docs/benchmarks.md left as it was)\n`);
} else {
  saveSuite({
    suite: "ours",
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
    machine: startMachine,
    runs,
    timeMs,
    clock,
    results: [...results],
    memory,
    reset,
    durable,
    ...(chromium && { chromium }),
    notes: skipped.map((s) => `Skipped: ${s}.`),
  });
  renderDocs();
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/ours.json and docs/benchmarks.md\n`);
}
