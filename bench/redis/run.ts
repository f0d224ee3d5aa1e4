/**
 * The Redis part of `npm run bench`: runs bench/redis/worker.ts (bundled, like the other workers) in
 * fresh processes, takes the median of each figure over the runs, and writes
 * bench/results/redis.json and bench/results/redis.md (the table docs/redis.md quotes): ops/s for
 * 1 and 8 concurrent clients, each edge-kv figure as a ratio to raw ioredis measured in the same run,
 * and the Redis commands and round trips per operation. `npm run bench:redis` runs only this part
 * (bench/redis/main.ts), with the same settings.
 */
import { cpus, loadavg } from "node:os";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, bundle } from "../lib/build.js";
import { runWorker } from "../lib/orchestrate.js";

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** Heads bench/results/redis.md: what the baselines are, and why. */
const BASELINES = `# Redis driver benchmark

The baseline ("raw ioredis", ratio 1.00) is the raw client issuing the minimal commands for the
same work as edge-kv. A put keeps the value, a generation and the last-modified time of the key and
indexes the key for an ordered list, applied atomically in one round trip, as edge-kv's put does:
\`MULTI; HSET <record> v <value> g <generation> t <time>; ZADD <index> 0 <key>; EXEC\`, sent
together (ioredis \`multi()\`). A get reads that record hash (\`HGETALL\`); a list page is one
\`ZRANGEBYLEX\`. Until this baseline, put and get were measured against a bare \`SET\` / \`GET\` of a
string, which keeps no generation or metadata and indexes nothing, so it cannot be the limit of a
KV put; that row stays for reference ("raw ioredis SET/GET"). "raw ioredis, one script" does the
baseline's put as one Lua script (\`EVALSHA\` of HSET + ZADD): the cheapest atomic way, the floor
a script-based driver can reach. The raw baselines choose the generation on the client and check
nothing; edge-kv's put also decides the plan (add, generation match, append, size limit), keeps
generations increasing across writers and deletions, and gives a TTL to expiring records.

`;

export async function benchRedis(options: { quick: boolean; runs: number; command?: string }): Promise<void> {
  const worker = await bundle("bench/redis/worker.ts", ".bench-tmp/redis-worker.mjs");
  const timeMs = options.quick ? 100 : 300; // per subject and round (5 rounds)
  const figures = new Map<string, number[]>();
  const ratios = new Map<string, number[]>();
  const commands = new Map<string, number>();
  const roundTrips = new Map<string, number>();
  const loads: number[] = [loadavg()[0]!];
  for (let run = 0; run < options.runs; run++) {
    process.stderr.write(`redis: run ${run + 1}/${options.runs}\n`);
    const out = await runWorker({ script: worker, args: ["--time", String(timeMs)], timeoutMs: 300_000, cwd: ROOT });
    if (out === null) continue;
    for (const [label, value] of out.results as [string, number][]) figures.set(label, [...(figures.get(label) ?? []), value]);
    for (const [label, value] of out.ratios as [string, number][]) ratios.set(label, [...(ratios.get(label) ?? []), value]);
    for (const [label, perOp] of out.commands as [string, number][]) commands.set(label, perOp);
    for (const [label, perOp] of out.roundTrips as [string, number][]) roundTrips.set(label, perOp);
    loads.push(loadavg()[0]!);
  }
  const rows = [...figures.keys()].map((label) => {
    const [subject, workload, clients] = label.split(" | ");
    return { subject: subject!, workload: workload!, clients: Number(clients), opsPerSecond: Math.round(median(figures.get(label)!)), vsRaw: median(ratios.get(label)!), commandsPerOp: commands.get(label)!, roundTripsPerOp: roundTrips.get(label)! };
  });
  const command = options.command ?? `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  const load = loads.map((value) => value.toFixed(1)).join(", ");
  const table = [
    `Command: \`${command}\` (${options.runs} run(s); per run, subjects measured in turns for 5 rounds of ${timeMs} ms; medians; each ratio to raw ioredis is the median of per-round ratios). Load average (1 min) before and after each run: ${load}; ${cpus().length} cores.`,
    "",
    "| subject | op | clients | ops/s | × raw ioredis | Redis commands per op | round trips per op |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((row) => {
      const redis = row.subject.includes("redis");
      return `| ${row.subject} | ${row.workload} | ${row.clients} | ${row.opsPerSecond.toLocaleString("en-US")} | ${row.vsRaw.toFixed(2)} | ${redis ? row.commandsPerOp.toFixed(2) : "—"} | ${redis ? row.roundTripsPerOp.toFixed(2) : "—"} |`;
    }),
  ].join("\n");
  process.stderr.write(`${table}\n`);
  if (options.quick) return;
  writeFileSync(join(ROOT, "bench/results/redis.json"), `${JSON.stringify({ command, runs: options.runs, timeMs, loadAverage: loads, cores: cpus().length, rows }, null, 2)}\n`);
  writeFileSync(join(ROOT, "bench/results/redis.md"), `${BASELINES}${table}\n`);
}
