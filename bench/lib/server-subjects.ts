/**
 * edge-kv's REST server (issue 6) on loopback: the Fastly KV REST API (PUT/GET
 * /resources/stores/kv/{id}/keys/{key}, GET …/keys?prefix&limit) over a memory store, driven by
 * Node's fetch with keep-alive. Client and server run in this process, so the CPU clock counts both
 * ends. Empty until `edge-kv/server` exports createServer.
 */
import * as edgeKv from "edge-kv";
import * as server from "edge-kv/server";
import type { Handle, Subject } from "./subjects.js";

interface RestServer {
  url: string;
  close(): Promise<void>;
}
type CreateServer = (options: { registry: edgeKv.KVRegistry; port: number; host: string }) => Promise<RestServer>;

let storeCounter = 0;

export async function serverSubjects(): Promise<Subject[]> {
  const createServer = (server as unknown as { createServer?: CreateServer }).createServer;
  if (!createServer) return [];
  return [
    {
      name: "edge-kv REST server",
      kind: "edge-kv",
      maxKeys: 10_000,
      putBudgetMs: 10_000,
      workloads: ["put", "get", "listPrefix"],
      async open(): Promise<Handle> {
        const registry = new edgeKv.KVRegistry();
        const name = `rest${++storeCounter}`;
        registry.defineStore(name, { driver: new edgeKv.MemoryDriver() });
        const rest = await createServer({ registry, port: 0, host: "127.0.0.1" });
        const headers = { "Fastly-Key": "bench" };
        const stores = (await (await fetch(`${rest.url}/resources/stores/kv?name=${name}`, { headers })).json()) as { data: { id: string }[] };
        const id = stores.data[0]?.id;
        if (!id) throw new Error(`REST server: store ${name} not listed`);
        const base = `${rest.url}/resources/stores/kv/${id}/keys`;
        const ok = async (response: Response) => {
          if (!response.ok) throw new Error(`REST server: ${response.status} ${await response.text()}`);
          return response;
        };
        const put = async (key: string, value: string | Uint8Array) => {
          await (await ok(await fetch(`${base}/${encodeURIComponent(key)}`, { method: "PUT", headers, body: value as BodyInit }))).arrayBuffer();
        };
        const get = async (key: string) => (await ok(await fetch(`${base}/${encodeURIComponent(key)}`, { headers }))).arrayBuffer();
        const page = async (query: string) => (await (await ok(await fetch(`${base}?${query}`, { headers }))).json()) as { data: string[]; meta: { next_cursor?: string } };
        return {
          put,
          get,
          listPrefix: async (prefix, limit) => (await page(`prefix=${encodeURIComponent(prefix)}&limit=${limit}`)).data.length,
          listAll: async () => {
            let count = 0;
            let cursor: string | undefined;
            do {
              const result = await page(cursor === undefined ? "limit=1000" : `limit=1000&cursor=${encodeURIComponent(cursor)}`);
              count += result.data.length;
              cursor = result.meta.next_cursor;
            } while (cursor);
            return count;
          },
          append: async (key, chunk) => {
            await (await ok(await fetch(`${base}/${encodeURIComponent(key)}?append=true`, { method: "PUT", headers, body: chunk }))).arrayBuffer();
          },
          putBytes: put,
          getBytes: get,
          fill: async (keys, from, value) => {
            for (let i = from; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => put(key, value)));
          },
          close: () => rest.close(),
        };
      },
    },
  ];
}
