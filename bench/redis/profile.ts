/**
 * Where a Redis operation's server time goes: `npm run bench:redis -- --profile` (or
 * `node --import tsx bench/redis/profile.ts [--ops 20000] [--rounds 5]`). Starts its own redis-server,
 * then for each subject sends `ops` operations (50 in flight on one connection) and reads from the
 * server:
 *   - its main thread's CPU time (INFO cpu) per operation — robust on a busy machine, where the
 *     wall-clock figures below also count the time the server waited for a core;
 *   - INFO commandstats: usec_per_call of the command sent (EVALSHA for scripts) and of every command
 *     a script ran inside (calls per operation);
 *   - SLOWLOG entries over 100 µs;
 * and once, `redis-cli --latency` (PING round trips) for the machine's loopback latency.
 * Subjects: raw commands, a script that does nothing (the cost of running any script with edge-kv's
 * argument count), the raw put as one script, and edge-kv's driver operations.
 * Prints a markdown table of medians over the rounds.
 */
import { spawnSync } from "node:child_process";
import { Redis } from "ioredis";
import { RedisDriver } from "../../src/redis/index.js";
import type { WritePlan } from "../../src/index.js";
import { startRedis } from "../../test/redis/servers.js";

const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const OPS = option("ops", 20_000);
const ROUNDS = option("rounds", 5);
const IN_FLIGHT = 50;
const VALUE = Buffer.from("v".repeat(100));

const server = await startRedis();
const admin = server.client();
const raw = server.client() as Redis & Record<string, (...args: unknown[]) => Promise<unknown>>;
await admin.config("SET", "slowlog-log-slower-than", "100");
await admin.config("SET", "slowlog-max-len", "100000");
raw.defineCommand("noop", { numberOfKeys: 3, lua: "return {1, 5}" });
raw.defineCommand("rawPut", { numberOfKeys: 2, lua: "redis.call('HSET', KEYS[1], 'v', ARGV[1], 'g', ARGV[2], 't', ARGV[3]) redis.call('ZADD', KEYS[2], 0, ARGV[4]) return 1" });

const latency = spawnSync("redis-cli", ["-p", String(server.port), "--latency", "-i", "1"], { timeout: 2500, encoding: "utf8" });
// Without a terminal, redis-cli --latency prints "min max avg samples" (ms).
const [min, max, avg, samples] = (latency.stdout ?? "").trim().split(/\s+/);
const latencyLine = samples === undefined ? "(redis-cli --latency gave nothing)" : `PING min ${min} ms, max ${max} ms, avg ${avg} ms over ${samples} samples`;

const now = Date.now();
const plan = (i: number, fields: Partial<WritePlan> = {}): WritePlan => ({
  now,
  require: "any",
  combine: "replace",
  value: VALUE,
  maxValueBytes: 25_000_000,
  metadata: null,
  expiresAt: null,
  lastModified: now,
  contentType: null,
  generationFloor: now * 1000 + i,
  freshGeneration: now * 1000 + i + 5,
  ...fields,
});

let round = 0;
const driver = () => new RedisDriver({ url: server.url, storeName: `profile-${round}` });
interface Subject {
  name: string;
  /** The command the client sends (its commandstats line). */
  command: string;
  op(i: number): Promise<unknown>;
}
const subjects = (store: RedisDriver): Subject[] => [
  { name: "raw SET", command: "set", op: (i) => raw.set(`s:${round}:${i}`, VALUE) },
  { name: "raw GET", command: "get", op: (i) => raw.getBuffer(`s:${round}:${i}`) },
  { name: "raw MULTI HSET ZADD EXEC", command: "exec", op: (i) => raw.multi().hset(`h:${round}:${i}`, "v", VALUE, "g", String(i), "t", String(now)).zadd(`i:${round}`, 0, String(i)).exec() },
  { name: "raw HGETALL", command: "hgetall", op: (i) => raw.hgetallBuffer(`h:${round}:${i}`) },
  { name: "script doing nothing (14 arguments)", command: "evalsha", op: (i) => raw.noop!("a", "b", "c", String(i), String(now), "ar", "0", VALUE, "1000", "|1|", "||", "1", "2", "0") },
  { name: "raw put as one script (HSET + ZADD)", command: "evalsha", op: (i) => raw.rawPut!(`p:${round}:${i}`, `pi:${round}`, VALUE, String(i), String(now), String(i)) },
  { name: "edge-kv write, new key", command: "evalsha", op: (i) => store.write(`k${i}`, plan(i)) },
  { name: "edge-kv write, existing key", command: "evalsha", op: (i) => store.write(`k${i}`, plan(i)) },
  { name: "edge-kv write with TTL, existing key", command: "evalsha", op: (i) => store.write(`k${i}`, plan(i, { expiresAt: now + 60_000 })) },
  { name: "edge-kv append, existing key", command: "evalsha", op: (i) => store.write(`k${i}`, plan(i, { combine: "append", value: Buffer.from("x") })) },
  { name: "edge-kv read", command: "get", op: (i) => store.read(`k${i}`) },
];

async function cpuSeconds(): Promise<number> {
  const text = await admin.info("cpu");
  return Number(/used_cpu_user_main_thread:([\d.]+)/.exec(text)![1]) + Number(/used_cpu_sys_main_thread:([\d.]+)/.exec(text)![1]);
}

/** commandstats as name → { calls, usecPerCall }. */
async function commandStats(): Promise<Map<string, { calls: number; usecPerCall: number }>> {
  const stats = new Map<string, { calls: number; usecPerCall: number }>();
  for (const line of (await admin.info("commandstats")).split("\n")) {
    const match = /^cmdstat_([^:]+):calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/.exec(line);
    if (match) stats.set(match[1]!, { calls: Number(match[2]), usecPerCall: Number(match[3]) });
  }
  return stats;
}

const rows = new Map<string, { command: string; cpu: number[]; usec: number[]; inner: Map<string, { perOp: number; usec: number[] }>; slow: number[] }>();
for (round = 1; round <= ROUNDS; round++) {
  const store = driver();
  await store.ready();
  for (const subject of subjects(store)) {
    await admin.config("RESETSTAT");
    await admin.slowlog("RESET");
    const before = await cpuSeconds();
    for (let i = 0; i < OPS; i += IN_FLIGHT) await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, OPS - i) }, (_, j) => subject.op(i + j)));
    const cpu = ((await cpuSeconds()) - before) * 1e6 / OPS;
    const stats = await commandStats();
    const slow = Number(await admin.slowlog("LEN"));
    const row = rows.get(subject.name) ?? { command: subject.command, cpu: [] as number[], usec: [] as number[], inner: new Map(), slow: [] as number[] };
    row.cpu.push(cpu);
    row.usec.push(stats.get(subject.command)?.usecPerCall ?? Number.NaN);
    row.slow.push(slow);
    for (const [name, stat] of stats) {
      // The command sent, MULTI, EVAL (a script's first call) and this profiler's own commands are not a script's calls.
      if (name === subject.command || stat.calls < OPS / 2 || ["multi", "eval", "info"].includes(name)) continue;
      const inner = row.inner.get(name) ?? { perOp: stat.calls / OPS, usec: [] };
      inner.usec.push(stat.usecPerCall);
      row.inner.set(name, inner);
    }
    rows.set(subject.name, row);
  }
  await store.destroy();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const lines = [
  `redis-server ${(await admin.info("server")).match(/redis_version:(\S+)/)?.[1]}; ${OPS} operations per subject and round, ${IN_FLIGHT} in flight, ${ROUNDS} rounds, medians. redis-cli --latency: ${latencyLine}`,
  "",
  "| subject | server CPU µs/op | command sent, usec_per_call | commands run inside it (per op, usec_per_call) | SLOWLOG > 100 µs |",
  "|---|---|---|---|---|",
  ...[...rows].map(([name, row]) => {
    const inner = [...row.inner].map(([command, stat]) => `${command} ×${stat.perOp.toFixed(2)} ${median(stat.usec).toFixed(2)}`).join(", ") || "—";
    return `| ${name} | ${median(row.cpu).toFixed(1)} | ${row.command.toUpperCase()} ${median(row.usec).toFixed(2)} | ${inner} | ${median(row.slow)} |`;
  }),
];
process.stdout.write(`${lines.join("\n")}\n`);
await server.stop();
process.exit(0);
