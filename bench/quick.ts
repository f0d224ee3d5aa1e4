/**
 * A quick same-run comparison for A/B work on the hot path (not part of the reports): edge-kv memory
 * against an awaited Map, or (`--pair rest`) edge-kv's REST server against a bare node:http server
 * sending the same bytes, in one process, on CPU time; prints the median ratios.
 *
 *   node --import tsx bench/quick.ts [--pair memory|rest] [--n 100000] [--runs 5] [--workloads put,get] [--floor]
 *
 * `--floor` (memory pair) also measures `semanticFloor`: what any store behind the same API reaches.
 */
import { spawnSync } from "node:child_process";
import { bundle } from "./lib/build.js";

if (process.argv[2] !== "--child") {
  const script = await bundle("bench/quick.ts", ".bench-tmp/quick.mjs");
  const run = spawnSync(process.execPath, ["--expose-gc", script, "--child", ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(run.status ?? 1);
} else {
  const { parseArgs, median, formatOps } = await import("./lib/harness.js");
  const { runSuite, resultKey } = await import("./lib/suite.js");
  const { plainMap, edgeKvMemory, semanticFloor } = await import("./lib/subjects.js");
  const { httpBaseline, serverSubjects } = await import("./lib/server-subjects.js");
  const args = parseArgs(process.argv.slice(3));
  const rest = args.get("pair") === "rest";
  const n = Number(args.get("n") ?? (rest ? 10_000 : 100_000));
  const runs = Number(args.get("runs") ?? 5);
  const workloads = (args.get("workloads") ?? "put,get").split(",") as ("put" | "get")[];
  const subjects = rest ? [httpBaseline, (await serverSubjects()).find((s) => s.name === "edge-kv REST server")!] : [plainMap, edgeKvMemory];
  if (!rest && args.has("floor")) subjects.push(semanticFloor);
  const [baseline, ...compared] = subjects as [typeof plainMap, ...(typeof plainMap)[]];
  const results = await runSuite({ subjects, sizes: [n], runs, clock: "cpu", timeMs: 200, warmupMs: 50, workloadsAt: () => workloads, log: () => undefined });
  for (const workload of workloads) {
    const base = results.get(resultKey(baseline.name, n, workload))!;
    for (const subject of compared) {
      const ours = results.get(resultKey(subject.name, n, workload))!;
      const ratios = ours.map((value, i) => value / base[i]!);
      console.log(
        `${workload}: ${baseline.name} ${formatOps(median(base))}/s, ${subject.name} ${formatOps(median(ours))}/s, ratio median ${median(ratios).toFixed(3)} (runs: ${ratios.map((r) => r.toFixed(2)).join(" ")})`,
      );
    }
  }
}
