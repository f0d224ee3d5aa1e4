/**
 * The apps bench/host/worker.ts measures and bench/host/profile-worker.ts profiles: one answers a
 * constant, one reads a KV entry first; and how one request runs on either side (`direct`: the handler
 * called with a Request; `host`: the same handler behind `loadApp(...).fetch`).
 */
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { loadApp } from "../../src/host/app.js";

export type Handler = (request: Request) => Promise<Response> | Response;
export type Side = "direct" | "host";

const URL_ = "http://127.0.0.1:7676/";

/** Makes the active registry hold the store the "kv get" app reads. */
export async function setUpStores(): Promise<void> {
  const registry = new KVRegistry();
  setRegistry(registry);
  await registry.defineStore("bench").put("greeting", "hello");
}

export const handlers: Record<string, Handler> = {
  constant: () => new Response("hello"),
  "kv get": async () => {
    const entry = await new KVStore("bench").get("greeting");
    return new Response(entry === null ? "missing" : await entry.text());
  },
};

export function checkSide(side: string | undefined): Side {
  if (side !== "direct" && side !== "host") throw new Error(`side: direct | host, got ${side}`);
  return side;
}

/** One request through `side`, its body read. */
export async function requester(side: Side, handler: Handler): Promise<() => Promise<ArrayBuffer>> {
  if (side === "direct") return async () => (await handler(new Request(URL_))).arrayBuffer();
  const app = await loadApp(() => {
    (globalThis as unknown as { addEventListener(type: string, listener: (event: { request: Request; respondWith(r: Promise<Response> | Response): void }) => void): void }).addEventListener(
      "fetch",
      (event) => event.respondWith(handler(event.request)),
    );
  });
  return async () => (await app.fetch(URL_)).arrayBuffer();
}
