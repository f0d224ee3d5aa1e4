/**
 * In-process requests/s of one side (`--side direct`: the app's handler called with a Request; `--side
 * host`: the same handler behind the app host, `loadApp(...).fetch`: FetchEvent, listener dispatch,
 * request scope). Bundled from src/ like the other workers; prints one JSON line. Two apps: one
 * answers a constant, one reads a KV entry first.
 */
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { loadApp } from "../../src/host/app.js";
import { median, opsPerSecond, parseArgs, useClock, type ClockKind } from "../lib/harness.js";

const args = parseArgs(process.argv.slice(2));
const timeMs = Number(args.get("time") ?? 200);
const rounds = Number(args.get("rounds") ?? 3);
useClock((args.get("clock") ?? "cpu") as ClockKind);

const registry = new KVRegistry();
setRegistry(registry);
await registry.defineStore("bench").put("greeting", "hello");

type Handler = (request: Request) => Promise<Response> | Response;
const handlers: Record<string, Handler> = {
  constant: () => new Response("hello"),
  "kv get": async () => {
    const entry = await new KVStore("bench").get("greeting");
    return new Response(entry === null ? "missing" : await entry.text());
  },
};

const url = "http://127.0.0.1:7676/";
const side = args.get("side");
if (side !== "direct" && side !== "host") throw new Error(`--side direct|host, got ${side}`);
// Each side in its own process: the host turns on process-wide costs (Node 20's AsyncLocalStorage
// hooks every promise), which a process that calls the handler directly never pays.
const results: Array<[string, number]> = [];
for (const [name, handler] of Object.entries(handlers)) {
  let run: () => Promise<ArrayBuffer>;
  if (side === "direct") {
    run = async () => (await handler(new Request(url))).arrayBuffer();
  } else {
    const app = await loadApp(() => {
      (globalThis as unknown as { addEventListener(type: string, listener: (event: { request: Request; respondWith(r: Promise<Response> | Response): void }) => void): void }).addEventListener(
        "fetch",
        (event) => event.respondWith(handler(event.request)),
      );
    });
    run = async () => (await app.fetch(url)).arrayBuffer();
  }
  // Warm up for one round's time, unmeasured: tinybench's warm-up (timeMs / 4) left the first app of a
  // fresh process still compiling (its first round ran at a fraction of its later speed, on either side).
  for (const until = performance.now() + timeMs; performance.now() < until; ) await run();
  const ops: number[] = [];
  for (let round = 0; round < rounds; round++) ops.push(await opsPerSecond(run, { timeMs, warmupMs: timeMs / 4 }));
  results.push([name, median(ops)]);
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
