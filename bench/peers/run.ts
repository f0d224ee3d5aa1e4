/**
 * `npm run bench:peers`: edge-kv side by side with a Map, unstorage (memory, fs), keyv, Miniflare's KV
 * namespace and idb-keyval on fake-indexeddb, every subject measured in the same worker process per
 * run and store size, then docs/benchmarks.md. The peers live in this folder's own package
 * (`cd bench/peers && npm install`), not in edge-kv's dependencies.
 *
 *   npm run bench:peers                               # 3 runs at 10k and 100k keys
 *   npm run bench:peers -- --runs 5 --sizes 100000
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { bundle, ROOT } from "../lib/build.js";
import { parseArgs } from "../lib/harness.js";
import { machine, runSuite } from "../lib/orchestrate.js";
import { saveSuite } from "../lib/report.js";
import { renderDocs } from "../lib/docs.js";

const args = parseArgs(process.argv.slice(2));
const runs = Number(args.get("runs") ?? 3);
const sizes = (args.get("sizes") ?? "10000,100000").split(",").map(Number);
const timeMs = Number(args.get("time") ?? 200);
const budgetMs = Number(args.get("budget") ?? 480) * 1000;
const clock = args.get("clock") ?? "cpu";
const started = Date.now();
const startMachine = machine();

for (const peer of ["unstorage", "keyv", "miniflare", "idb-keyval", "fake-indexeddb"]) {
  if (!existsSync(join(ROOT, "bench/peers/node_modules", peer))) {
    process.stderr.write(`bench:peers: the peer '${peer}' is not installed. Run: cd bench/peers && npm install --no-audit --no-fund\n`);
    process.exit(1);
  }
}

process.stderr.write(`edge-kv bench:peers: ${runs} run(s) at ${sizes.join(", ")} keys, ${timeMs} ms per measurement, budget ${budgetMs / 1000} s\n`);
const worker = await bundle("bench/peers/worker.ts", "bench/peers/.bench-tmp/worker.mjs");

const { results, skipped } = await runSuite({
  worker,
  runs,
  sizes,
  timeMs,
  clock,
  started,
  budgetMs,
  timeoutMs: 300_000,
  cwd: join(ROOT, "bench/peers"),
});

saveSuite({
  suite: "peers",
  command: `npm run bench:peers${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  machine: startMachine,
  runs,
  timeMs,
  clock,
  results: [...results],
  notes: skipped.map((s) => `Skipped (peers): ${s}.`),
});
renderDocs();
process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(0)} s; wrote bench/results/peers.json and docs/benchmarks.md\n`);
