/**
 * One run of the Redis benchmark (bundled by bench/redis/run.ts, run in a fresh process): starts its
 * own redis-server on a loopback port, then measures put, get and list (a prefix page of 100 keys) for
 * 1 and 8 concurrent clients on:
 *   - raw ioredis issuing the minimal commands for the same work: the limit. A put stores what an
 *     edge-kv put must keep — the value, its generation and last-modified time in one hash, and the
 *     key in the ordered index that list reads — as MULTI, HSET, ZADD, EXEC sent together (one round
 *     trip, applied atomically, as edge-kv's write is); a get reads that hash (HGETALL); a list page
 *     is one ZRANGEBYLEX;
 *   - raw ioredis with the same put as one Lua script (EVALSHA of HSET + ZADD: atomic, one command —
 *     the cheapest atomic way, the floor of what a script-based driver can reach; put only);
 *   - raw ioredis SET / GET (a bare string: less work than a KV put or get does; for reference only,
 *     it was the baseline before the put and get baselines did the same work; put and get only);
 *   - edge-kv on the Redis driver, through KVStore (8 clients = 8 drivers, 8 connections, one store);
 *   - edge-kv on the filesystem driver (relaxed) and on the memory driver, through KVStore.
 * Counts the Redis commands each operation sends, and its round trips (a pipeline or MULTI block is
 * written at once and answered at once: one round trip).
 * Subjects are measured in turns, in several short rounds; each edge-kv figure's ratio to raw ioredis
 * is the median of the per-round ratios. Prints one JSON line:
 * { results: [[label, opsPerSecond]], ratios: [[label, ratioToRaw]], commands: [[label, commandsPerOp]],
 *   roundTrips: [[label, roundTripsPerOp]] }.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pipeline, Redis } from "ioredis";
import { KVRegistry, KVStore, MemoryDriver, setRegistry, type KVDriver } from "../../src/index.js";
import { FileSystemDriver } from "../../src/node/index.js";
import { RedisDriver } from "../../src/redis/index.js";
import { startRedis } from "../../test/redis/servers.js";

const args = process.argv.slice(2);
const timeMs = Number(args[args.indexOf("--time") + 1] ?? 1000);
const KEYS = 10_000;
const VALUE = "v".repeat(100);
const CONCURRENCY = [1, 8];
const key = (i: number) => `k${String(i).padStart(5, "0")}`;

// Every command any ioredis client sends passes here. One sent on its own is one request/response
// exchange; a pipeline (or MULTI block) passes its commands with the stream it writes them to at
// once, and counts one exchange in exec().
let commands = 0;
let roundTrips = 0;
const send = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...rest: Parameters<typeof send>) {
  commands++;
  if (rest[1] === undefined) roundTrips++;
  return send.apply(this, rest);
} as typeof send;
const exec = Pipeline.prototype.exec;
const executed = new WeakSet<Pipeline>(); // ioredis's multi() calls exec() twice on its pipeline
Pipeline.prototype.exec = function (this: Pipeline, ...rest: Parameters<typeof exec>) {
  if (!executed.has(this)) roundTrips++;
  executed.add(this);
  return exec.apply(this, rest);
} as typeof exec;

/** One client's operations; a subject without one is not measured on it. */
interface Client {
  put(i: number): Promise<unknown>;
  get?(i: number): Promise<unknown>;
  list?(prefix: string): Promise<number>;
}

interface Subject {
  name: string;
  /** `count` clients on one store (prefilled with KEYS keys when `fill`). */
  open(count: number): Promise<{ clients: Client[]; close(): Promise<void> }>;
}

interface Measured {
  opsPerSecond: number;
  commandsPerOp: number;
  roundTripsPerOp: number;
}

/** Throughput of `op` run by every client in a loop for timeMs of wall time (after a short warm-up). */
async function measure(clients: Client[], op: (client: Client, n: number) => Promise<unknown>): Promise<Measured> {
  let n = 0;
  // The deadline is read, not set by a timer: in-process stores resolve without ever yielding to timers.
  const run = (ms: number) => {
    const end = performance.now() + ms;
    return Promise.all(
      clients.map(async (client) => {
        while (performance.now() < end) await op(client, n++);
      }),
    );
  };
  await run(Math.min(100, timeMs / 3)); // warm-up
  const before = n;
  const sent = commands;
  const exchanged = roundTrips;
  const started = performance.now();
  await run(timeMs);
  const ops = n - before;
  return { opsPerSecond: (ops * 1000) / (performance.now() - started), commandsPerOp: (commands - sent) / ops, roundTripsPerOp: (roundTrips - exchanged) / ops };
}

function kvClient(store: KVStore, lane: number): Client {
  let puts = 0;
  return {
    put: () => store.put(`p${lane}-${puts++}`, VALUE),
    get: async (i) => (await store.get(key(i % KEYS)))!.arrayBuffer(),
    list: async (prefix) => (await store.list({ prefix, limit: 100 })).list.length,
  };
}

/** edge-kv through KVStore: `count` stores of one registry, each on its own driver from `driverFor` (or one shared driver). */
async function openKv(count: number, driverFor: (lane: number) => KVDriver): Promise<{ clients: Client[]; close(): Promise<void> }> {
  const registry = new KVRegistry();
  setRegistry(registry);
  const stores = Array.from({ length: count }, (_, lane) => {
    registry.defineStore(`s${lane}`, { driver: driverFor(lane) });
    return new KVStore(`s${lane}`);
  });
  for (let i = 0; i < KEYS; i += 100) await Promise.all(Array.from({ length: 100 }, (_, j) => stores[0]!.put(key(i + j), VALUE)));
  return { clients: stores.map(kvClient), close: () => registry.reset() };
}

/**
 * `count` raw ioredis connections on a fresh key prefix holding KEYS keys both ways (a record hash
 * `<prefix>:r:<key>` and a string `<prefix>:s:<key>`) and the ordered index `<prefix>:index`.
 */
async function openRaw(count: number, client: (redis: Redis, prefix: string, lane: number) => Client): Promise<{ clients: Client[]; close(): Promise<void> }> {
  const prefix = `raw${++stores}`;
  const connections = Array.from({ length: count }, () => new Redis({ port: server.port, host: "127.0.0.1" }));
  const first = connections[0]!;
  for (let i = 0; i < KEYS; i += 100) {
    const batch = Array.from({ length: 100 }, (_, j) => key(i + j));
    const fill = first.pipeline();
    for (const k of batch) fill.hset(`${prefix}:r:${k}`, "v", VALUE, "g", "1", "t", String(Date.now())).set(`${prefix}:s:${k}`, VALUE);
    await fill.zadd(`${prefix}:index`, ...batch.flatMap((k) => [0, k])).exec();
  }
  const clients = connections.map((redis, lane) => client(redis, prefix, lane));
  return { clients, close: async () => void connections.forEach((redis) => redis.disconnect()) };
}

const server = await startRedis();
const folders: string[] = [];
let stores = 0;

const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const allSubjects: Subject[] = [
  {
    name: "raw ioredis",
    async open(count) {
      return openRaw(count, (redis, prefix, lane) => {
        let puts = 0;
        return {
          put: () => {
            const member = `p${lane}-${puts++}`;
            return redis.multi().hset(`${prefix}:r:${member}`, "v", VALUE, "g", String(puts), "t", String(Date.now())).zadd(`${prefix}:index`, 0, member).exec();
          },
          get: (i) => redis.hgetallBuffer(`${prefix}:r:${key(i % KEYS)}`),
          list: async (p) => (await redis.zrangebylex(`${prefix}:index`, `[${p}`, `[${p}\xff`, "LIMIT", 0, 100)).length,
        };
      });
    },
  },
  {
    name: "raw ioredis, one script",
    async open(count) {
      return openRaw(count, (redis, prefix, lane) => {
        redis.defineCommand("rawPut", { numberOfKeys: 2, lua: "redis.call('HSET', KEYS[1], 'v', ARGV[1], 'g', ARGV[2], 't', ARGV[3]) redis.call('ZADD', KEYS[2], 0, ARGV[4]) return 1" });
        const put = (redis as unknown as { rawPut(...args: string[]): Promise<number> }).rawPut.bind(redis);
        let puts = 0;
        return {
          put: () => {
            const member = `p${lane}-${puts++}`;
            return put(`${prefix}:r:${member}`, `${prefix}:index`, VALUE, String(puts), String(Date.now()), member);
          },
        };
      });
    },
  },
  {
    name: "raw ioredis SET/GET",
    async open(count) {
      return openRaw(count, (redis, prefix, lane) => {
        let puts = 0;
        return {
          put: () => redis.set(`${prefix}:s:p${lane}-${puts++}`, VALUE),
          get: (i) => redis.getBuffer(`${prefix}:s:${key(i % KEYS)}`),
        };
      });
    },
  },
  {
    name: "edge-kv redis",
    async open(count) {
      const storeName = `bench${++stores}`;
      return openKv(count, () => new RedisDriver({ url: server.url, storeName }));
    },
  },
  {
    name: "edge-kv fs (relaxed)",
    async open(count) {
      const directory = mkdtempSync(join(tmpdir(), "edge-kv-bench-redis-fs-"));
      folders.push(directory);
      const driver = await FileSystemDriver.open({ directory, durability: "relaxed" });
      return openKv(count, () => driver);
    },
  },
  {
    name: "edge-kv memory",
    async open(count) {
      const driver = new MemoryDriver();
      return openKv(count, () => driver);
    },
  },
];

const subjects = allSubjects.filter((subject) => only === undefined || subject.name.includes(only));
const ROUNDS = 5;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const results: [string, number][] = [];
const ratios: [string, number][] = [];
const perOp: [string, number][] = [];
const trips: [string, number][] = [];
try {
  for (const count of CONCURRENCY) {
    // Every subject open at once, and measured in turns, several short rounds each: on a busy machine
    // the load drifts, and a ratio of two figures taken seconds apart would measure the drift.
    const open = [];
    for (const subject of subjects) open.push({ subject, ...(await subject.open(count)) });
    const workloads: [keyof Client, (client: Client, n: number) => Promise<unknown>][] = [
      ["put", (client, n) => client.put(n)],
      ["get", (client, n) => client.get!((n * 7919) % KEYS)],
      ["list", (client, n) => client.list!(`k0${n % 10}`)],
    ];
    for (const [workload, op] of workloads) {
      const rounds = new Map<string, Measured[]>();
      for (let round = 0; round < ROUNDS; round++) {
        for (const { subject, clients } of open) {
          if (clients[0]![workload] === undefined) continue;
          rounds.set(subject.name, [...(rounds.get(subject.name) ?? []), await measure(clients, op)]);
        }
      }
      const raw = rounds.get("raw ioredis");
      for (const [name, measured] of rounds) {
        const label = `${name} | ${workload} | ${count}`;
        const opsPerSecond = median(measured.map((m) => m.opsPerSecond));
        const commandsPerOp = median(measured.map((m) => m.commandsPerOp));
        const roundTripsPerOp = median(measured.map((m) => m.roundTripsPerOp));
        results.push([label, opsPerSecond]);
        perOp.push([label, commandsPerOp]);
        trips.push([label, roundTripsPerOp]);
        if (raw) ratios.push([label, median(measured.map((m, i) => m.opsPerSecond / raw[i]!.opsPerSecond))]);
        process.stderr.write(`  ${label}: ${Math.round(opsPerSecond)} ops/s, ${commandsPerOp.toFixed(2)} Redis commands/op in ${roundTripsPerOp.toFixed(2)} round trips\n`);
      }
    }
    for (const { close } of open) await close();
  }
} finally {
  await server.stop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify({ results, ratios, commands: perOp, roundTrips: trips })}\n`);
process.exit(0);
