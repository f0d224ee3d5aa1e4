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
import { saveSuite, type MemoryResult } from "./lib/report.js";
import { renderDocs } from "./lib/docs.js";

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
    notes: skipped.map((s) => `Skipped: ${s}.`),
  });
  renderDocs();
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/ours.json and docs/benchmarks.md\n`);
}
