/**
 * The Redis part of `npm run bench`: runs bench/redis/worker.ts (bundled, like the other workers) in
 * fresh processes, takes the median of each figure over the runs, and writes
 * bench/results/redis.json and bench/results/redis.md (the table docs/redis.md quotes): ops/s for
 * 1 and 8 concurrent clients, each edge-kv figure as a ratio to raw ioredis measured in the same run,
 * and the Redis commands (round trips) per operation.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, bundle } from "../lib/build.js";
import { runWorker } from "../lib/orchestrate.js";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export async function benchRedis(options: { quick: boolean; runs: number }): Promise<void> {
  const worker = await bundle("bench/redis/worker.ts", ".bench-tmp/redis-worker.mjs");
  const timeMs = options.quick ? 100 : 300; // per subject and round (5 rounds)
  const figures = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const commands = new Map<string, number>();
  for (let run = 0; run < options.runs; run++) {
    process.stderr.write(`redis: run ${run + 1}/${options.runs}\n`);
    const out = await runWorker({ script: worker, args: ["--time", String(timeMs)], timeoutMs: 300_000, cwd: ROOT });
    if (out === null) continue;
    for (const [label, value] of out.results as [string, number][]) figures.set(label, [...(figures.get(label) ?? []), value]);
    for (const [label, value] of out.ratios as [string, number][]) ratios.set(label, [...(ratios.get(label) ?? []), value]);
    for (const [label, perOp] of out.commands as [string, number][]) commands.set(label, perOp);
  }
  const rows = [...figures.keys()].map((label) => {
    const [subject, workload, clients] = label.split(" | ");
    return { subject: subject!, workload: workload!, clients: Number(clients), opsPerSecond: Math.round(median(figures.get(label)!)), vsRaw: median(ratios.get(label)!), commandsPerOp: commands.get(label)! };
  });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const table = [
    `Command: \`${command}\` (${options.runs} run(s); per run, subjects measured in turns for 5 rounds of ${timeMs} ms; medians; each ratio to raw ioredis is the median of per-round ratios)`,
    "",
    "| subject | op | clients | ops/s | × raw ioredis | Redis commands per op |",
    "|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row.subject} | ${row.workload} | ${row.clients} | ${row.opsPerSecond.toLocaleString("en-US")} | ${row.vsRaw.toFixed(2)} | ${row.subject.includes("redis") ? row.commandsPerOp.toFixed(2) : "—"} |`),
  ].join("\n");
  process.stderr.write(`${table}\n`);
  if (options.quick) return;
  writeFileSync(join(ROOT, "bench/results/redis.json"), `${JSON.stringify({ command, runs: options.runs, timeMs, rows }, null, 2)}\n`);
  writeFileSync(join(ROOT, "bench/results/redis.md"), `${table}\n`);
}
