/**
 * In-process requests/s: an app's handler called directly vs the same handler behind the app host
 * (`loadApp(...).fetch`: FetchEvent, listener dispatch, request scope). Bundled from src/ like the
 * other workers; prints one JSON line. Two apps: one answers a constant, one reads a KV entry first.
 */
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { loadApp } from "../../src/host/app.js";
import { median, opsPerSecond, parseArgs, useClock, type ClockKind } from "../lib/harness.js";

const args = parseArgs(process.argv.slice(2));
const timeMs = Number(args.get("time") ?? 200);
const rounds = Number(args.get("rounds") ?? 5);
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
const results: Array<[string, number]> = [];
for (const [name, handler] of Object.entries(handlers)) {
  const app = await loadApp(() => {
    (globalThis as unknown as { addEventListener(type: string, listener: (event: { request: Request; respondWith(r: Promise<Response> | Response): void }) => void): void }).addEventListener(
      "fetch",
      (event) => event.respondWith(handler(event.request)),
    );
  });
  const direct = async () => (await handler(new Request(url))).arrayBuffer();
  const hosted = async () => (await app.fetch(url)).arrayBuffer();
  const ratios: number[] = [];
  const directOps: number[] = [];
  const hostedOps: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const a = await opsPerSecond(direct, { timeMs, warmupMs: timeMs / 4 });
    const b = await opsPerSecond(hosted, { timeMs, warmupMs: timeMs / 4 });
    directOps.push(a);
    hostedOps.push(b);
    ratios.push(b / a);
  }
  results.push([`${name}: direct req/s`, median(directOps)], [`${name}: host req/s`, median(hostedOps)], [`${name}: host / direct`, median(ratios)]);
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
