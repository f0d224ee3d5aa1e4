/**
 * The app host's benchmarks (part of `npm run bench`; alone: `node --import tsx bench/host/run.ts`):
 *
 * 1. in process: requests/s of `loadApp(...).fetch` vs calling the app's handler directly (target ≥ 0.75×),
 *    CPU clock, each side in a fresh process (one after the other in each run);
 * 2. over HTTP: `edge-kv dev` vs a bare node:http server answering the same bytes (target ≥ 0.5×),
 *    each server in its own process, driven from this one by node:http keep-alive clients (wall clock),
 *    the two servers measured in short alternating slices, one ratio per pair of slices.
 *
 * Every ratio is taken inside one run (or pair of slices), then the median. Results: bench/results/host.json.
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
}

async function startServer(script: string, mode: "bare" | "dev"): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [script, "--mode", mode], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
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

/** Requests/s over `ms` with `concurrency` keep-alive connections, each sending one request at a time. */
async function load(url: string, ms: number, concurrency: number): Promise<number> {
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
  await Promise.all(Array.from({ length: concurrency }, () => until(performance.now() + Math.min(ms / 4, 300)))); // warm-up
  const started = performance.now();
  const counts = await Promise.all(Array.from({ length: concurrency }, () => until(started + ms)));
  const elapsed = performance.now() - started;
  agent.destroy();
  return (counts.reduce((a, b) => a + b, 0) * 1000) / elapsed;
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
  const http = { bare: [] as number[], dev: [] as number[], ratio: [] as number[] };
  const bare = await startServer(server, "bare");
  const dev = await startServer(server, "dev");
  try {
    // Short alternating slices (order flipped every other pair), one ratio per pair: the machine's
    // load drifts between slices far less than between long measurements.
    const pairs = options.runs * 3;
    for (let pair = 0; pair < pairs; pair++) {
      process.stderr.write(`host, over HTTP: pair ${pair + 1}/${pairs}\n`);
      const slice = options.httpMs / 3;
      let bareRps: number;
      let devRps: number;
      if (pair % 2 === 0) {
        bareRps = await load(bare.url, slice, options.concurrency);
        devRps = await load(dev.url, slice, options.concurrency);
      } else {
        devRps = await load(dev.url, slice, options.concurrency);
        bareRps = await load(bare.url, slice, options.concurrency);
      }
      http.bare.push(bareRps);
      http.dev.push(devRps);
      http.ratio.push(devRps / bareRps);
    }
  } finally {
    bare.child.kill();
    dev.child.kill();
  }
  const results: Array<[string, number]> = [...[...inProcess].map(([name, values]) => [name, median(values)] as [string, number])];
  results.push(["http: bare node:http req/s", median(http.bare)], ["http: edge-kv dev req/s", median(http.dev)], ["http: edge-kv dev / bare", median(http.ratio)]);
  process.stderr.write("\napp host (medians over runs; ratios taken within each run):\n");
  for (const [name, value] of results) process.stderr.write(`  ${name.padEnd(32)} ${name.includes(" / ") ? formatRatio(value) : formatOps(value)}\n`);
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
  });
}
