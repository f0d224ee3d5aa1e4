/**
 * A real Compute app (test/wasm/fixtures/app, built with @fastly/js-compute) running in Fastly's own
 * runtime on edge-kv's stores, with the guest on the main thread and in a worker thread.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { FakeClock, KVStore, resetRegistry, type KVRegistry } from "edge-kv";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadWasmApp, type WasmApp } from "../../src/wasm/index.js";
import { asyncDriver, fixtureWasm } from "./helpers.js";

const base = "http://app.test";

async function json(app: WasmApp, path: string, init?: RequestInit): Promise<Record<string, unknown>> {
  const response = await app.fetch(base + path, init);
  return (await response.json()) as Record<string, unknown>;
}

describe.each(["main", "worker"] as const)("guest on the %s thread", (thread) => {
  let app: WasmApp;
  let registry: KVRegistry;
  let clock: FakeClock;
  beforeAll(async () => {
    app = await loadWasmApp({
      wasm: await fixtureWasm(),
      thread,
      workers: 1,
      echo: false,
      configStores: { settings: { greeting: "hello" } },
      secretStores: { vault: { token: "s3cret" } },
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    clock = new FakeClock();
    registry = resetRegistry({ clock });
    registry.defineStore("kv");
  });

  it("KV put, get, list and delete land in edge-kv's store", async () => {
    expect(await json(app, "/kv/put?key=a&metadata=m1", { method: "POST", body: "one" })).toEqual({ error: null });
    await new KVStore("kv").put("b", "two");
    expect(await json(app, "/kv/get?key=a")).toEqual({ found: true, value: "one", metadata: "m1" });
    expect(await json(app, "/kv/get?key=b")).toEqual({ found: true, value: "two", metadata: null });
    expect(await json(app, "/kv/list")).toEqual({ list: ["a", "b"], cursor: null });
    expect(await json(app, "/kv/delete?key=a")).toEqual({ error: null });
    expect(await json(app, "/kv/get?key=a")).toEqual({ found: false });
    expect(await json(app, "/kv/delete?key=a")).toEqual({ error: "TypeError: KVStore delete: Not found." });
    expect(registry.store("kv").core.get("b")).not.toBeNull();
  });

  it("insert modes, gen and TTL with the registry's fake clock", async () => {
    await json(app, "/kv/put?key=k", { method: "POST", body: "b" });
    expect(await json(app, "/kv/put?key=k&mode=add", { method: "POST", body: "x" })).toEqual({ error: "TypeError: KVStore insert: Precondition failed." });
    await json(app, "/kv/put?key=k&mode=append", { method: "POST", body: "c" });
    await json(app, "/kv/put?key=k&mode=prepend", { method: "POST", body: "a" });
    expect((await json(app, "/kv/get?key=k")).value).toBe("abc");
    const generation = (registry.store("kv").core.get("k") as { generation: number }).generation;
    expect(await json(app, `/kv/put?key=k&gen=${generation + 1}`, { method: "POST", body: "no" })).toEqual({ error: "TypeError: KVStore insert: Precondition failed." });
    expect(await json(app, `/kv/put?key=k&gen=${generation}`, { method: "POST", body: "yes" })).toEqual({ error: null });
    await json(app, "/kv/put?key=t&ttl=60", { method: "POST", body: "short" });
    clock.advance(59_000);
    expect((await json(app, "/kv/get?key=t")).found).toBe(true);
    clock.advance(1_000);
    expect(await json(app, "/kv/get?key=t")).toEqual({ found: false });
  });

  it("list pages with prefix, limit and cursor", async () => {
    for (const key of ["p1", "p2", "p3", "q1"]) await new KVStore("kv").put(key, "v");
    const first = await json(app, "/kv/list?prefix=p&limit=2");
    expect(first.list).toEqual(["p1", "p2"]);
    expect(await json(app, `/kv/list?prefix=p&limit=2&cursor=${encodeURIComponent(first.cursor as string)}`)).toEqual({ list: ["p3"], cursor: null });
    expect(await json(app, "/kv/list?cursor=%25%25")).toEqual({ error: "TypeError: KVStore list: Bad request." });
  });

  it("store operations carry the request's id in registry.onOperation events", async () => {
    const events: unknown[] = [];
    const off = registry.onOperation((event) => events.push(event));
    await json(app, "/kv/put?key=o", { method: "POST", body: "x", client: { requestId: "req-1" } } as RequestInit);
    off();
    expect(events).toMatchObject([{ store: "kv", operation: "insert", key: "o", outcome: "ok", size: 1, context: { requestId: "req-1" } }]);
  });

  it("an unknown KV store fails as on Compute", async () => {
    expect(await json(app, "/kv/open?store=nope")).toEqual({ error: "TypeError: KVStore constructor: No KVStore named 'nope' exists" });
  });

  it("config and secret stores, env, client data and the downstream request", async () => {
    expect(await json(app, "/config?store=settings&key=greeting")).toEqual({ value: "hello" });
    expect(await json(app, "/config?store=settings&key=missing")).toEqual({ value: null });
    expect(await json(app, "/config?store=nope&key=x")).toEqual({ error: "TypeError: ConfigStore constructor: No ConfigStore named 'nope' exists" });
    expect(await json(app, "/secret?store=vault&key=token")).toEqual({ value: "s3cret" });
    expect(await json(app, "/secret?store=vault&key=missing")).toEqual({ value: null });
    expect(await json(app, "/env?name=FASTLY_HOSTNAME")).toEqual({ value: "localhost" });
    const client = await json(app, "/client", { client: { address: "::1" } } as RequestInit);
    expect(client).toMatchObject({ address: "::1", geo: { city: "San Francisco", country_code: "US" }, tlsProtocol: null, server: "127.0.0.1" });
    const tls = await json(app, "/client", { client: { address: "203.0.113.9", tlsProtocol: "TLSv1.3", geo: null }, server: { address: "10.0.0.1" } } as RequestInit);
    expect(tls).toMatchObject({ address: "203.0.113.9", geo: null, tlsProtocol: "TLSv1.3", server: "10.0.0.1" });
    expect(client.requestId).toMatch(/^[0-9a-f]{32}$/);
    const echo = await json(app, "/echo?x=1", { method: "PUT", headers: { "x-test": "yes" }, body: "payload" });
    expect(echo).toMatchObject({ method: "PUT", url: `${base}/echo?x=1`, body: "payload", headers: { "x-test": "yes", host: "app.test" } });
  });

  it("the registry's config stores, secret stores and env values", async () => {
    registry.defineConfigStore("features", { beta: "on" });
    registry.defineSecretStore("keys", { api: "k-123" });
    registry.env.set({ API_URL: "https://api.test", FASTLY_POP: undefined });
    expect(await json(app, "/config?store=features&key=beta")).toEqual({ value: "on" });
    expect(await json(app, "/secret?store=keys&key=api")).toEqual({ value: "k-123" });
    expect(await json(app, "/env?name=API_URL")).toEqual({ value: "https://api.test" });
    expect(await json(app, "/env?name=FASTLY_POP")).toEqual({ value: null });
    expect(await json(app, "/env?name=FASTLY_REGION")).toEqual({ value: "Somewhere" });
    registry.configStore("features").set("beta", "off");
    expect(await json(app, "/config?store=features&key=beta")).toEqual({ value: "off" });
  });

  it("streams a response body, and finishes waitUntil work before settled()", async () => {
    const response = await app.fetch(`${base}/stream?chunks=4`);
    expect(response.headers.get("x-streamed")).toBe("yes");
    expect(await response.text()).toBe("chunk 0\nchunk 1\nchunk 2\nchunk 3\n");
    const early = await app.fetch(`${base}/wait-until?key=later`);
    expect(await early.text()).toBe("responded first");
    await app.settled();
    expect(await (await new KVStore("kv").get("later"))?.text()).toBe("written later");
  });

  it("guest output goes to the log; an exception is a 500; an unsupported host call is named", async () => {
    const before = app.logs.length;
    await (await app.fetch(`${base}/log?text=hi`)).text();
    await app.settled();
    expect(app.logs.slice(before).map(({ source, message }) => [source, message])).toEqual([
      ["stdout", "to stdout hi"],
      ["stdout", "to stderr hi"], // the JS runtime writes console.error to stdout too
      ["my-endpoint", "logged hi"],
    ]);
    // A rejected respondWith promise: 500, and the runtime's one-line report (reference §1.6 case C).
    const rejected = await app.fetch(`${base}/throw`);
    expect([rejected.status, await rejected.text()]).toEqual([500, ""]);
    await app.settled();
    expect(app.logs.at(-1)).toMatchObject({ source: "stderr", message: "Error while running request handler." });
    // A listener that throws synchronously (case A): 500 and the exception reported on stderr.
    const before2 = app.logs.length;
    const thrown = await app.fetch(`${base}/throw-sync`);
    expect([thrown.status, await thrown.text()]).toEqual([500, ""]);
    await app.settled();
    const report = app.logs.slice(before2).map((entry) => [entry.source, entry.message]);
    expect(report.slice(0, 2)).toEqual([["stderr", "Exception while dispatching FetchEvent"], ["stderr", ""]]);
    expect(report[2]![1]).toMatch(/Error: thrown synchronously$/);
    const unsupported = await json(app, "/unsupported");
    expect(unsupported.error).toMatch(/^Error: /);
    expect(app.unsupported).toContain("fastly_cache.lookup");
  });
});

describe("onError", () => {
  it("hears the failures the runtime reports, with its text", async () => {
    resetRegistry().defineStore("kv");
    const errors: [string, string][] = [];
    const app = await loadWasmApp({ wasm: await fixtureWasm(), thread: "main", echo: false, onError: (error, info) => errors.push([info.kind, error.message]) });
    try {
      expect((await app.fetch("/throw")).status).toBe(500);
      expect((await app.fetch("/throw-sync")).status).toBe(500);
      await app.settled();
      expect(errors[0]).toEqual(["response-rejected", "Error while running request handler."]);
      expect(errors[1]![0]).toBe("listener-threw");
      expect(errors[1]![1]).toMatch(/^Exception while dispatching FetchEvent: .*Error: thrown synchronously$/);
      expect(errors).toHaveLength(2);
    } finally {
      await app.close();
    }
  });
});

describe("stores with asynchronous drivers", () => {
  beforeEach(() => {
    resetRegistry().defineStore("kv", { driver: asyncDriver() });
  });

  it("work with the guest in a worker thread", async () => {
    const app = await loadWasmApp({ wasm: await fixtureWasm(), thread: "worker", workers: 1, echo: false });
    try {
      expect(await json(app, "/kv/put?key=a", { method: "POST", body: "async" })).toEqual({ error: null });
      expect(await json(app, "/kv/get?key=a")).toEqual({ found: true, value: "async", metadata: null });
    } finally {
      await app.close();
    }
  });

  it("fail clearly with the guest on the main thread", async () => {
    const app = await loadWasmApp({ wasm: await fixtureWasm(), thread: "main", echo: false });
    try {
      const response = await app.fetch(`${base}/kv/get?key=a`);
      expect(response.status).toBe(500);
      expect(await response.text()).toBe(
        `edge-kv/wasm: the guest waits for KV lookup on store 'kv', which cannot answer while the guest runs on the main thread (an asynchronous store driver, or a backend). Load the app with { thread: "worker" }.`,
      );
    } finally {
      await app.close();
    }
  });
});

describe("backends", () => {
  let server: Server;
  let origin: string;
  const seen: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[] = [];
  let app: WasmApp;
  let release = () => {};
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/slow") {
        // The first chunk now, the rest only when the test says so.
        res.writeHead(200, { "content-type": "text/plain" });
        res.write("first;");
        release = () => res.end("second");
        return;
      }
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
        res.writeHead(201, { "x-origin": "yes" }).end(`origin got ${req.method} ${req.url} ${body}`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const folder = mkdtempSync(join(tmpdir(), "edge-kv-wasm-"));
    writeFileSync(
      join(folder, "fastly.toml"),
      `[local_server.backends.origin]\nurl = "${origin}"\noverride_host = "origin.example"\n\n` +
        `[local_server.geolocation]\nformat = "inline-toml"\n[local_server.geolocation.addresses]\n"203.0.113.7" = { city = "Testville", country_code = "XX" }\n`,
    );
    app = await loadWasmApp({ wasm: await fixtureWasm(), thread: "worker", workers: 1, echo: false, fastlyToml: join(folder, "fastly.toml") });
  });
  afterAll(async () => {
    await app.close();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    seen.length = 0;
    resetRegistry();
  });

  it("a named backend gets the guest's request with the backend's host; its response comes back", async () => {
    const response = await app.fetch(`${base}/backend?backend=origin&url=${encodeURIComponent("https://anything.test/api/x?y=1")}`, { method: "POST", body: "ping" });
    expect(response.status).toBe(201);
    expect(await response.text()).toBe("origin got POST /api/x?y=1 ping");
    expect(seen).toHaveLength(1);
    expect(seen[0]!.headers).toMatchObject({ host: "origin.example", "x-from": "app" });
    expect(seen[0]!.headers["user-agent"]).toBeUndefined();
  });

  it("a backend body passed through streams to the client as it arrives", async () => {
    const response = await app.fetch(`${base}/proxy?backend=origin&url=${encodeURIComponent("http://x.test/slow")}`);
    const reader = response.body!.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("first;");
    release();
    let rest = "";
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
    expect(rest).toBe("second");
  });

  it("fastly.toml geolocation addresses answer geo lookups", async () => {
    const client = await json(app, "/client", { client: { address: "203.0.113.7" } } as RequestInit);
    expect(client.geo).toEqual({ city: "Testville", country_code: "XX" });
  });

  it("a dynamic backend (no backend named) reaches the URL's host; a proxied body streams through", async () => {
    expect(await (await app.fetch(`${base}/backend?url=${encodeURIComponent(`${origin}/dyn`)}`)).text()).toBe("origin got GET /dyn ");
    const proxied = await app.fetch(`${base}/proxy?backend=origin&url=${encodeURIComponent("http://x.test/p")}`);
    expect(proxied.headers.get("x-origin")).toBe("yes");
    expect(await proxied.text()).toBe("origin got GET /p ");
  });

  it("an unknown backend and a refused connection fail as errors the app can catch", async () => {
    const unknown = await app.fetch(`${base}/backend?backend=nope&url=${encodeURIComponent("http://x.test/")}`);
    expect(unknown.status).toBe(502);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/^TypeError: /);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const refused = await app.fetch(`${base}/backend?url=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`);
    expect(refused.status).toBe(502);
    expect(await refused.json()).toEqual({ error: "NetworkError: Connection refused" });
  });
});
