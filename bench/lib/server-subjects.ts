/**
 * edge-kv's REST server (issue 6) on loopback: the Fastly KV REST API (PUT/GET
 * /resources/stores/kv/{id}/keys/{key}, GET …/keys?prefix&limit) over a memory store, driven by
 * node:http with a keep-alive agent (Node 20's fetch costs ~3x more CPU per request than the server
 * itself, which would measure the client). Client and server run in this process, so the CPU clock
 * counts both ends. Empty until `edge-kv/server` exports createServer.
 */
import * as edgeKv from "edge-kv";
import * as server from "edge-kv/server";
import { Agent, createServer as createHttpServer, request, type IncomingMessage, type ServerResponse } from "node:http";
import type { Handle, Subject } from "./subjects.js";

interface RestServer {
  url: string;
  close(): Promise<void>;
}
type CreateServer = (options: { registry: edgeKv.KVRegistry; port: number; host: string }) => Promise<RestServer>;

let storeCounter = 0;

/** A keep-alive node:http client for `url` (one request at a time per caller); rejects on a status >= 300. */
function client(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const { hostname, port } = new URL(url);
  const call = (method: string, path: string, body?: string | Uint8Array) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = request({ agent, hostname, port, method, path, headers: { "Fastly-Key": "bench" } }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const payload = Buffer.concat(chunks);
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`REST server: ${method} ${path} -> ${res.statusCode} ${payload.toString()}`));
          else resolve(payload);
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

/** Fills the rest of the keys 50 requests at a time (the put phase is timed before). */
function fillConcurrently(put: (key: string, value: string) => Promise<void>): NonNullable<Handle["fill"]> {
  return async (keys, from, value) => {
    for (let i = from; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((key) => put(key, value)));
  };
}

/**
 * The floor for a REST server: a bare node:http server answering the same requests with the same
 * bytes (status, headers, body) edge-kv's Fastly dialect sends, from a Map, with no routing, checks
 * or store semantics. Same client, same process.
 */
export const httpBaseline: Subject = {
  name: "node:http baseline",
  kind: "limit",
  maxKeys: 10_000,
  putBudgetMs: 10_000,
  workloads: ["put", "get"],
  async open(): Promise<Handle> {
    const values = new Map<string, Buffer>();
    const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
      const path = req.url ?? "/";
      if (req.method === "PUT") {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          values.set(path, Buffer.concat(chunks));
          res.writeHead(200, { "content-length": "0" });
          res.end();
        });
        return;
      }
      const value = values.get(path);
      if (value === undefined) {
        res.writeHead(404, { "content-length": "0" });
        res.end();
        return;
      }
      res.writeHead(200, {
        "content-type": "application/octet-stream",
        generation: "1796563509648370",
        "last-modified": new Date().toUTCString(),
        "stored-content-length": String(value.byteLength),
        metadata: "",
        "content-length": String(value.byteLength),
      });
      res.end(value);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    const { call, close } = client(`http://127.0.0.1:${port}`);
    const base = "/resources/stores/kv/baseline/keys";
    const put = async (key: string, value: string | Uint8Array) => {
      await call("PUT", `${base}/${encodeURIComponent(key)}`, value);
    };
    const get = (key: string) => call("GET", `${base}/${encodeURIComponent(key)}`);
    const unsupported = async (): Promise<number> => {
      throw new Error("node:http baseline: only put and get");
    };
    return {
      put,
      get,
      listPrefix: unsupported,
      listAll: unsupported,
      append: unsupported,
      putBytes: put,
      getBytes: get,
      fill: fillConcurrently(put),
      close: async () => {
        close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  },
};

export async function serverSubjects(): Promise<Subject[]> {
  const createServer = (server as unknown as { createServer?: CreateServer }).createServer;
  if (!createServer) return [];
  return [
    httpBaseline,
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
        const { call, close } = client(rest.url);
        const stores = JSON.parse((await call("GET", `/resources/stores/kv?name=${name}`)).toString()) as { data: { id: string }[] };
        const id = stores.data[0]?.id;
        if (!id) throw new Error(`REST server: store ${name} not listed`);
        const base = `/resources/stores/kv/${id}/keys`;
        const put = async (key: string, value: string | Uint8Array) => {
          await call("PUT", `${base}/${encodeURIComponent(key)}`, value);
        };
        const get = async (key: string) => call("GET", `${base}/${encodeURIComponent(key)}`);
        const page = async (query: string) => JSON.parse((await call("GET", `${base}?${query}`)).toString()) as { data: string[]; meta: { next_cursor?: string } };
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
            await call("PUT", `${base}/${encodeURIComponent(key)}?append=true`, chunk);
          },
          putBytes: put,
          getBytes: get,
          fill: fillConcurrently(put),
          close: async () => {
            close();
            await rest.close();
          },
        };
      },
    },
  ];
}
