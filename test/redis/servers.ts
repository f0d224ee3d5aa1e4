/**
 * Real Redis servers for the tests: each test file starts its own `redis-server` processes on free
 * loopback ports (never a system service), in temporary folders, and stops them when it ends. A single
 * server starts in ~20 ms; a 3-master cluster (slots assigned and joined directly with CLUSTER
 * commands, as `redis-cli --cluster create` does) in well under a second.
 *
 * The binary is Debian's /usr/bin/redis-server (`npm test` installs it when missing), or the one named
 * by EDGE_KV_REDIS_SERVER (a valkey-server works too). A missing binary fails the test with a message
 * saying how to install it; it never skips.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";

export const REDIS_SERVER = process.env.EDGE_KV_REDIS_SERVER ?? "/usr/bin/redis-server";

export interface ServerOptions {
  /** Append-only file with fsync on every write (for crash tests). Default: no persistence at all. */
  appendOnly?: boolean;
  /** Cluster mode (used by startCluster). */
  cluster?: boolean;
  /** More `--name value` arguments, e.g. ["--maxmemory", "2mb"]. */
  args?: string[];
}

export interface RedisServer {
  readonly port: number;
  /** The cluster bus port (cluster mode only). */
  readonly busPort: number | undefined;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** The server's working folder (AOF files, nodes.conf). */
  readonly dir: string;
  readonly process: ChildProcess;
  /** A new client connection (closed by stop()). */
  client(): Redis;
  /** kill -9: the server dies at once, without flushing anything it was not already told to. */
  kill9(): Promise<void>;
  /** Starts the server again on the same port and folder (after kill9 or stop({ keepData })). */
  restart(): Promise<void>;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its folder unless keepData. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function missingBinary(): Error {
  return new Error(
    `redis-server not found at ${REDIS_SERVER}. The Redis tests start their own servers: install Debian's redis-server ` +
      "(npm test does it: node scripts/ensure-redis.mjs, or apt-get install redis-server), or set EDGE_KV_REDIS_SERVER to a redis-server or valkey-server binary.",
  );
}

/** A port nobody listens on right now (the OS picks it; a clash with a later listener is retried by the caller). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Launch {
  port: number;
  busPort: number | undefined;
  dir: string;
  options: ServerOptions;
}

function argumentsFor({ port, busPort, dir, options }: Launch): string[] {
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no", "--loglevel", "notice", "--logfile", ""];
  args.push("--appendonly", options.appendOnly ? "yes" : "no");
  if (options.appendOnly) args.push("--appendfsync", "always");
  if (options.cluster) args.push("--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-port", String(busPort), "--cluster-node-timeout", "5000");
  return [...args, ...(options.args ?? [])];
}

/** Spawns redis-server and resolves once it accepts connections; rejects with its output if it exits first. */
function launch(spec: Launch): Promise<ChildProcess> {
  if (!existsSync(REDIS_SERVER)) return Promise.reject(missingBinary());
  const child = spawn(REDIS_SERVER, argumentsFor(spec), { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`redis-server on port ${spec.port} did not start within 15 s:\n${output}`));
    }, 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.stdout!.off("data", onData);
        child.stdout!.resume();
        resolve(child);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const clash = /Address already in use/i.test(output);
      reject(Object.assign(new Error(`redis-server on port ${spec.port} exited (${code ?? signal}) before it was ready:\n${output}`), { clash }));
    });
  });
}

/** Starts one redis-server on a free loopback port in a new temporary folder. */
export async function startRedis(options: ServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "edge-kv-redis-"));
  let spec: Launch | undefined;
  let child: ChildProcess | undefined;
  for (let attempt = 1; child === undefined; attempt++) {
    spec = { port: await freePort(), busPort: options.cluster ? await freePort() : undefined, dir, options };
    try {
      child = await launch(spec);
    } catch (error) {
      if (!(error as { clash?: boolean }).clash || attempt >= 5) {
        rmSync(dir, { recursive: true, force: true });
        throw error;
      }
    }
  }
  const launched = spec!;
  const clients: Redis[] = [];
  const exited = (proc: ChildProcess) =>
    new Promise<void>((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once("exit", () => resolve())));
  const closeClients = () => {
    for (const client of clients.splice(0)) client.disconnect();
  };
  const server: RedisServer = {
    port: launched.port,
    busPort: launched.busPort,
    url: `redis://127.0.0.1:${launched.port}`,
    dir,
    get process() {
      return child!;
    },
    client() {
      const client = new Redis({ host: "127.0.0.1", port: launched.port, maxRetriesPerRequest: 1, lazyConnect: false });
      client.on("error", () => undefined);
      clients.push(client);
      return client;
    },
    async kill9() {
      const proc = child!;
      proc.kill("SIGKILL");
      await exited(proc);
    },
    async restart() {
      child = await launch(launched);
    },
    async stop({ keepData = false } = {}) {
      closeClients();
      const proc = child!;
      if (proc.exitCode === null && proc.signalCode === null) {
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5000);
        proc.kill("SIGTERM");
        await exited(proc);
        clearTimeout(timer);
      }
      if (!keepData) rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

export interface RedisCluster {
  readonly nodes: RedisServer[];
  /** Seed URLs, one per master: `redis://127.0.0.1:<port>`. */
  readonly urls: string[];
  stop(): Promise<void>;
}

const SLOTS = 16384;

/** Starts `masters` cluster-enabled servers, assigns the 16384 slots in equal ranges, joins them, and waits for cluster_state:ok everywhere. */
export async function startCluster(masters = 3): Promise<RedisCluster> {
  const nodes = await Promise.all(Array.from({ length: masters }, () => startRedis({ cluster: true })));
  const admins = nodes.map((node) => node.client());
  try {
    await Promise.all(
      admins.map(async (admin, i) => {
        const first = Math.floor((SLOTS * i) / masters);
        const last = Math.floor((SLOTS * (i + 1)) / masters) - 1;
        await admin.call("CLUSTER", "SET-CONFIG-EPOCH", String(i + 1));
        await admin.call("CLUSTER", "ADDSLOTSRANGE", String(first), String(last));
      }),
    );
    // Every node meets every other one, so nobody waits for gossip to learn of the third.
    await Promise.all(
      admins.flatMap((admin, i) =>
        nodes.filter((_, j) => j !== i).map((node) => admin.call("CLUSTER", "MEET", "127.0.0.1", String(node.port), String(node.busPort))),
      ),
    );
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(admins.map((admin) => admin.call("CLUSTER", "INFO") as Promise<string>));
      const ready = infos.every((info) => info.includes("cluster_state:ok") && info.includes(`cluster_known_nodes:${masters}`));
      if (ready) {
        const views = await Promise.all(admins.map((admin) => admin.call("CLUSTER", "SLOTS") as Promise<unknown[]>));
        if (views.every((view) => view.length === masters)) break;
      }
      if (Date.now() > deadline) throw new Error(`the cluster did not reach cluster_state:ok within 20 s:\n${infos.join("\n---\n")}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } catch (error) {
    await Promise.all(nodes.map((node) => node.stop()));
    throw error;
  }
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    stop: async () => {
      await Promise.all(nodes.map((node) => node.stop()));
    },
  };
}
