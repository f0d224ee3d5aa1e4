/**
 * The app host's benchmarks (part of `npm run bench`; alone: `node --import tsx bench/host/run.ts`):
 *
 * 1. in process: requests/s of `loadApp(...).fetch` vs calling the app's handler directly (target ≥ 0.75×),
 *    CPU clock, each side in a fresh process (one after the other in each run);
 * 2. over HTTP: `edge-kv dev` vs a bare node:http server answering the same bytes (target ≥ 0.5×),
 *    each server in its own process, driven from this one by node:http keep-alive clients (wall clock),
 *    the two servers measured in short alternating slices, one ratio per pair of slices. Each server's
 *    CPU time per request is measured too (process.cpuUsage over IPC): on a busy machine requests/s
 *    swing with everything else running, CPU per request much less.
 *
 * Every ratio is taken inside one run (or pair of slices), then the median. Results: bench/results/host.json.
 * `--in-process` measures only part 1 (and prints each run's ratio; host.json is not written).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { bundle, ROOT } from "../lib/build.js";
import { formatOps, formatRatio, median, parseArgs } from "../lib/harness.js";
import { machine, runWorker } from "../lib/orchestrate.js";

export interface HostBenchOptions {
  runs: number;
  /** Per in-process measurement, ms. */
  timeMs: number;
  /** Per HTTP measurement, ms. */
  httpMs: number;
  concurrency: number;
  /** Measure only the in-process sides (no HTTP servers); bench/results/host.json is then left as it is. */
  inProcessOnly?: boolean;
}

async function startServer(script: string, mode: "bare" | "dev"): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script, "--mode", mode], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  child.stdout!.resume(); // edge-kv dev's request log: read (as a terminal would), not kept
  const url = await new Promise<string>((resolve, reject) => {
    let seen = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening (http:\/\/\S+)/.exec(seen);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${mode} server exited with ${code}: ${seen}`)));
  });
  return { url, child };
}

/** CPU time (µs) the server process has used so far. */
function cpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once("message", (message: { cpuMicros: number }) => resolve(message.cpuMicros));
    child.send("cpu");
  });
}

/**
 * Requests/s over `ms` with `concurrency` keep-alive connections, each sending one request at a time,
 * and the server's CPU time per request (warm-up included in both CPU and count): a figure the machine's
 * other load disturbs far less than requests/s.
 */
async function load(server: { url: string; child: ChildProcess }, ms: number, concurrency: number): Promise<{ rps: number; cpuPerRequest: number }> {
  const { url } = server;
  const cpuBefore = await cpuMicros(server.child);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const { hostname, port } = new URL(url);
  const once = () =>
    new Promise<void>((resolve, reject) => {
      request({ agent, hostname, port, path: "/", method: "GET" }, (res) => {
        if (res.statusCode !== 200) reject(new Error(`${url}: status ${res.statusCode}`));
        res.resume();
        res.on("end", resolve);
      })
        .on("error", reject)
        .end();
    });
  const until = async (deadline: number) => {
    let count = 0;
    while (performance.now() < deadline) {
      await once();
      count++;
    }
    return count;
  };
  const warm = await Promise.all(Array.from({ length: concurrency }, () => until(performance.now() + Math.min(ms / 4, 300)))); // warm-up
  const started = performance.now();
  const counts = await Promise.all(Array.from({ length: concurrency }, () => until(started + ms)));
  const elapsed = performance.now() - started;
  agent.destroy();
  const measured = counts.reduce((a, b) => a + b, 0);
  const cpu = (await cpuMicros(server.child)) - cpuBefore;
  return { rps: (measured * 1000) / elapsed, cpuPerRequest: cpu / (measured + warm.reduce((a, b) => a + b, 0)) };
}

export async function runHostBench(options: HostBenchOptions): Promise<Array<[string, number]>> {
  const worker = await bundle("bench/host/worker.ts", ".bench-tmp/host-worker.mjs");
  const server = await bundle("bench/host/server.ts", ".bench-tmp/host-server.mjs");
  const inProcess = new Map<string, number[]>();
  const add = (name: string, value: number) => inProcess.set(name, [...(inProcess.get(name) ?? []), value]);
  for (let run = 0; run < options.runs; run++) {
    process.stderr.write(`host, in process: run ${run + 1}/${options.runs}\n`);
    const side = async (name: "direct" | "host") => {
      const out = await runWorker({ script: worker, args: ["--side", name, "--time", String(options.timeMs)], timeoutMs: 120_000 });
      return new Map((out?.results ?? []) as Array<[string, number]>);
    };
    const direct = await side("direct");
    const hosted = await side("host");
    for (const [app, directOps] of direct) {
      const hostOps = hosted.get(app);
      if (hostOps === undefined) continue;
      add(`${app}: direct req/s`, directOps);
      add(`${app}: host req/s`, hostOps);
      add(`${app}: host / direct`, hostOps / directOps);
    }
  }
  if (options.inProcessOnly) {
    const results = [...inProcess].map(([name, values]) => [name, median(values)] as [string, number]);
    process.stderr.write("\napp host, in process only (medians over runs; ratios taken within each run; bench/results/host.json not written):\n");
    for (const [name, value] of results) process.stderr.write(`  ${name.padEnd(34)} ${name.includes(" / ") ? formatRatio(value) : formatOps(value)}\n`);
    for (const [name, values] of inProcess) if (name.includes(" / ")) process.stderr.write(`  ${name} per run: ${values.map(formatRatio).join(", ")}\n`);
    return results;
  }
  const http = { bare: [] as number[], dev: [] as number[], ratio: [] as number[], bareCpu: [] as number[], devCpu: [] as number[], cpuRatio: [] as number[] };
  const bare = await startServer(server, "bare");
  const dev = await startServer(server, "dev");
  try {
    // Short alternating slices (order flipped every other pair), one ratio per pair: the machine's
    // load drifts between slices far less than between long measurements.
    const pairs = options.runs * 3;
    for (let pair = 0; pair < pairs; pair++) {
      process.stderr.write(`host, over HTTP: pair ${pair + 1}/${pairs}\n`);
      const slice = options.httpMs / 3;
      let bareRun: { rps: number; cpuPerRequest: number };
      let devRun: { rps: number; cpuPerRequest: number };
      if (pair % 2 === 0) {
        bareRun = await load(bare, slice, options.concurrency);
        devRun = await load(dev, slice, options.concurrency);
      } else {
        devRun = await load(dev, slice, options.concurrency);
        bareRun = await load(bare, slice, options.concurrency);
      }
      http.bare.push(bareRun.rps);
      http.dev.push(devRun.rps);
      http.ratio.push(devRun.rps / bareRun.rps);
      http.bareCpu.push(bareRun.cpuPerRequest);
      http.devCpu.push(devRun.cpuPerRequest);
      http.cpuRatio.push(bareRun.cpuPerRequest / devRun.cpuPerRequest);
    }
  } finally {
    bare.child.kill();
    dev.child.kill();
  }
  const results: Array<[string, number]> = [...[...inProcess].map(([name, values]) => [name, median(values)] as [string, number])];
  results.push(
    ["http: bare node:http req/s", median(http.bare)],
    ["http: edge-kv dev req/s", median(http.dev)],
    ["http: edge-kv dev / bare", median(http.ratio)],
    ["http: bare server CPU µs/req", median(http.bareCpu)],
    ["http: edge-kv dev CPU µs/req", median(http.devCpu)],
    ["http: CPU per request, bare / dev", median(http.cpuRatio)],
  );
  process.stderr.write("\napp host (medians over runs; ratios taken within each run):\n");
  const format = (name: string, value: number) => (name.includes(" / ") ? formatRatio(value) : name.includes("µs") ? `${value.toFixed(1)} µs` : formatOps(value));
  for (const [name, value] of results) process.stderr.write(`  ${name.padEnd(34)} ${format(name, value)}\n`);
  mkdirSync(join(ROOT, "bench/results"), { recursive: true });
  writeFileSync(
    join(ROOT, "bench/results/host.json"),
    `${JSON.stringify({ command: "npm run bench (bench/host)", machine: machine(), runs: options.runs, timeMs: options.timeMs, httpMs: options.httpMs, concurrency: options.concurrency, results: Object.fromEntries(results) }, null, 2)}\n`,
  );
  return results;
}

if (process.argv[1]?.endsWith("bench/host/run.ts")) {
  const args = parseArgs(process.argv.slice(2));
  const quick = args.has("quick");
  await runHostBench({
    runs: Number(args.get("runs") ?? (quick ? 1 : 3)),
    timeMs: Number(args.get("time") ?? (quick ? 100 : 200)),
    httpMs: Number(args.get("http-time") ?? (quick ? 1000 : 3000)),
    concurrency: Number(args.get("concurrency") ?? 8),
    inProcessOnly: args.has("in-process"),
  });
}
