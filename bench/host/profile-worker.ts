/**
 * For bench/host/profile.ts: `count` requests through one side (`direct` or `host`) of one app
 * (`constant` or `kv get`), one at a time, as bench/host/worker.ts measures them; prints the wall time.
 */
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { loadApp } from "../../src/host/app.js";

const [side = "host", appName = "kv get", countArg = "200000"] = process.argv.slice(2);
const count = Number(countArg);
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
const handler = handlers[appName];
if (handler === undefined) throw new Error(`app: constant | "kv get", got ${appName}`);
const url = "http://127.0.0.1:7676/";
let run: () => Promise<ArrayBuffer>;
if (side === "direct") {
  run = async () => (await handler(new Request(url))).arrayBuffer();
} else if (side === "host") {
  const app = await loadApp(() => {
    (globalThis as unknown as { addEventListener(type: string, listener: (event: { request: Request; respondWith(r: Promise<Response> | Response): void }) => void): void }).addEventListener(
      "fetch",
      (event) => event.respondWith(handler(event.request)),
    );
  });
  run = async () => (await app.fetch(url)).arrayBuffer();
} else {
  throw new Error(`side: direct | host, got ${side}`);
}
for (let i = 0; i < count / 10; i++) await run(); // warm-up
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < count; i++) await run();
const ms = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
process.stderr.write(`${side} ${appName}: ${count} requests in ${ms.toFixed(0)} ms (${((1000 * ms) / count).toFixed(2)} µs each, CPU ${((user + system) / count).toFixed(2)} µs each)\n`);
