/**
 * The wasm host's figures (docs/wasm-host.md): one app (test/wasm/fixtures/app) in Fastly's runtime,
 * its guest on the main thread and in worker threads, against edge-kv's JS app host when available.
 *
 *   npm run bench                                            # runs it last (runWasmBench)
 *   node --expose-gc --import tsx bench/wasm/run.ts          # alone; writes bench/results/wasm-host.json
 *   node --expose-gc --import tsx bench/wasm/run.ts --quick  # fewer requests, prints only
 *
 * Measured: module compile time; per request, instantiate and run time (the host's own timers);
 * requests/s and latency (p50, p99) at 1 and 8 concurrent requests; the cost of one KV lookup per
 * thread mode (a route doing 50 lookups against one doing none), which is the price of the guest
 * waiting on another thread. Ratios are against the main-thread guest of the same run.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { resetRegistry } from "../../src/registry.js";
import { buildComputeApp } from "../../src/wasm/build.js";
import { loadWasmApp, type WasmApp } from "../../src/wasm/index.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
/** Only fastly:* modules edge-kv provides (so the JS host can run it too). */
const ENTRY = "test/wasm/fixtures/kv-app/src/index.js";

interface Fetcher {
  fetch(path: string): Promise<Response>;
  settled(): Promise<void>;
  close(): Promise<void>;
  timings?: () => { instantiateMs: number; runMs: number; ahead: boolean } | null;
}

interface Series {
  subject: string;
  route: string;
  concurrency: number;
  requests: number;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Process CPU time (all threads) per request: robust when the machine is shared. */
  cpuMs: number;
  instantiateMs?: number;
  /** Share of requests whose instance was made ahead, off the request's path. */
  aheadShare?: number;
  runMs?: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function measure(subject: string, app: Fetcher, route: string, concurrency: number, requests: number): Promise<Series> {
  for (let i = 0; i < Math.min(20, requests); i++) await (await app.fetch(route)).arrayBuffer(); // warm-up
  await app.settled();
  const latencies: number[] = [];
  let instantiate = 0;
  let run = 0;
  let timed = 0;
  let ahead = 0;
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) {
        const t = performance.now();
        const response = await app.fetch(route);
        await response.arrayBuffer();
        latencies.push(performance.now() - t);
        const last = app.timings?.();
        if (last && concurrency === 1) {
          instantiate += last.instantiateMs;
          run += last.runMs;
          if (last.ahead) ahead++;
          timed++;
        }
      }
    }),
  );
  await app.settled();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  latencies.sort((a, b) => a - b);
  const series: Series = {
    subject,
    route,
    concurrency,
    requests,
    requestsPerSecond: requests / seconds,
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    cpuMs: (used.user + used.system) / 1000 / requests,
  };
  if (timed > 0) Object.assign(series, { instantiateMs: instantiate / timed, aheadShare: ahead / timed, runMs: run / timed });
  process.stderr.write(`${subject.padEnd(22)} ${route.padEnd(16)} x${concurrency}: ${series.requestsPerSecond.toFixed(1)} req/s, p50 ${series.p50Ms.toFixed(2)} ms, p99 ${series.p99Ms.toFixed(2)} ms, cpu ${series.cpuMs.toFixed(2)} ms/req${timed ? `, instantiate ${series.instantiateMs!.toFixed(2)} ms (${Math.round(series.aheadShare! * 100)} % made ahead), run ${series.runMs!.toFixed(2)} ms` : ""}\n`);
  return series;
}

function wasmFetcher(app: WasmApp): Fetcher {
  return {
    fetch: (path) => app.fetch(path),
    settled: () => app.settled(),
    close: () => app.close(),
    timings: () => app.lastRun,
  };
}

/** edge-kv's JavaScript app host on the same source, bundled as `edge-kv dev` does, when this checkout has it (src/host). */
async function jsHost(): Promise<Fetcher | null> {
  const host = new URL("../../src/host/index.ts", import.meta.url);
  const bundler = new URL("../../src/host/node/bundle.ts", import.meta.url);
  if (!existsSync(fileURLToPath(host)) || !existsSync(fileURLToPath(bundler))) return null;
  type Loader = { loadApp: (entry: string, options: { fresh: boolean }) => Promise<Fetcher> };
  type Bundler = { AppBundler: new (options: { entry: string; root: string }) => { build(): Promise<{ url: string }>; close(): Promise<void> } };
  const { loadApp } = (await import(host.href)) as Loader;
  const { AppBundler } = (await import(bundler.href)) as Bundler;
  const appBundler = new AppBundler({ entry: fileURLToPath(new URL(`../../${ENTRY}`, import.meta.url)), root });
  const app = await loadApp((await appBundler.build()).url, { fresh: false });
  return {
    fetch: (path) => app.fetch(path),
    settled: () => app.settled(),
    close: async () => {
      await app.close();
      await appBundler.close();
    },
  };
}

export async function runWasmBench({ quick = false }: { quick?: boolean } = {}): Promise<void> {
  const n = quick ? 60 : 400;
  const registry = resetRegistry();
  registry.defineStore("kv");
  for (let i = 0; i < 10; i++) registry.store("kv").put(`k${i}`, "v".repeat(100));

  const build = await buildComputeApp(ENTRY, { projectRoot: root });
  const bytes = readFileSync(build.wasm);
  const compileMs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await WebAssembly.compile(bytes);
    compileMs.push(performance.now() - t);
  }
  compileMs.sort((a, b) => a - b);
  process.stderr.write(`module: ${(bytes.byteLength / 1e6).toFixed(1)} MB, compile ${compileMs.map((ms) => ms.toFixed(0)).join(" / ")} ms\n`);

  const series: Series[] = [];
  const subjects: [string, () => Promise<Fetcher | null>][] = [
    ["wasm, main thread", async () => wasmFetcher(await loadWasmApp({ wasm: build.wasm, thread: "main", echo: false }))],
    ["wasm, 1 worker", async () => wasmFetcher(await loadWasmApp({ wasm: build.wasm, thread: "worker", workers: 1, echo: false }))],
    [`wasm, ${Math.min(4, cpus().length)} workers`, async () => wasmFetcher(await loadWasmApp({ wasm: build.wasm, thread: "worker", echo: false }))],
    ["JS host", jsHost],
  ];
  for (const [subject, load] of subjects) {
    const app = await load();
    if (!app) continue;
    series.push(await measure(subject, app, "/hello", 1, n));
    series.push(await measure(subject, app, "/many?n=50", 1, Math.ceil(n / 2)));
    if (!subject.endsWith("1 worker")) series.push(await measure(subject, app, "/hello", 8, n));
    await app.close();
  }

  /** One KV lookup's CPU cost per subject: (50-lookup route − empty route) / 50, at concurrency 1. */
  const perLookup = Object.fromEntries(
    [...new Set(series.map((s) => s.subject))].map((subject) => {
      const of = (route: string) => series.find((s) => s.subject === subject && s.route === route && s.concurrency === 1)!;
      return [subject, (of("/many?n=50").cpuMs - of("/hello").cpuMs) / 50];
    }),
  );
  process.stderr.write(`one KV lookup (CPU, difference / 50): ${Object.entries(perLookup).map(([s, ms]) => `${s} ${(ms * 1000).toFixed(0)} µs`).join(", ")}\n`);

  if (!quick) {
    mkdirSync(fileURLToPath(new URL("../results", import.meta.url)), { recursive: true });
    const out = fileURLToPath(new URL("../results/wasm-host.json", import.meta.url));
    writeFileSync(
      out,
      `${JSON.stringify({ command: "npm run bench (bench/wasm/run.ts)", date: new Date().toISOString(), node: process.version, cpus: cpus().length, moduleBytes: bytes.byteLength, compileMs, series, perLookupMs: perLookup }, null, 2)}\n`,
    );
    process.stderr.write(`wrote ${out}\n`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await runWasmBench({ quick: process.argv.includes("--quick") });
