/** The reserved prefix /_edge-kv/ of the REST server: the page, the guards, the token, edge-kv's endpoints. */
import { request as httpRequest } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { createServer, explorerUrl, type RestServer } from "edge-kv/server";

let server: RestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(token?: string) {
  const registry = new KVRegistry({ clock: new FakeClock(Date.UTC(2026, 0, 1)) });
  setRegistry(registry);
  registry.defineStore("s");
  server = await createServer({ registry, ...(token !== undefined && { token }) });
  return registry;
}

/** A raw request (fetch may not set Host). */
function raw(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server!.url}${path}`, { method, headers }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("/_edge-kv/ on the REST server", () => {
  it("serves the page with a strict content security policy; the URL carries the token in its fragment", async () => {
    await start();
    const page = await raw("/_edge-kv/");
    expect(page.status).toBe(200);
    expect(page.headers["content-type"]).toBe("text/html; charset=utf-8");
    expect(page.headers["content-security-policy"]).toContain("default-src 'none'; script-src 'self'");
    expect(page.body).toContain('<script type="module" src="./app.js"></script>');
    expect((await raw("/_edge-kv/app.js")).status).toBe(200);
    expect(await raw("/_edge-kv")).toMatchObject({ status: 308, headers: { location: "/_edge-kv/" } });
    expect((await raw("/_edge-kv/../../etc/passwd")).status).toBe(404);
    expect(explorerUrl("http://127.0.0.1:7878", "s3cr&t")).toBe("http://127.0.0.1:7878/_edge-kv/#token=s3cr%26t");
  });

  it("answers loopback host names only, and refuses cross-site requests", async () => {
    await start();
    expect(await raw("/_edge-kv/api/stores", { host: "attacker.example:80" })).toMatchObject({
      status: 403,
      body: JSON.stringify({ error: "the explorer answers only loopback host names (localhost, 127.0.0.1, [::1]); this request named 'attacker.example:80'" }),
    });
    expect((await raw("/_edge-kv/api/stores", { host: "localhost:1234" })).status).toBe(200);
    expect((await raw("/_edge-kv/api/stores", { origin: "http://evil.example" })).status).toBe(403);
    expect((await raw("/_edge-kv/api/stores/s/keys?prefix=", { "sec-fetch-site": "cross-site" }, "DELETE")).status).toBe(403);
  });

  it("enforces the token on every API path under /_edge-kv/api/ (the page itself holds no data)", async () => {
    await start("t0k");
    expect((await raw("/_edge-kv/")).status).toBe(200);
    expect((await raw("/_edge-kv/api/stores")).status).toBe(401);
    expect((await raw("/_edge-kv/api/stores", { "fastly-key": "wrong" })).status).toBe(401);
    expect((await raw("/_edge-kv/api/stores", { authorization: "Bearer t0k" })).status).toBe(200);
    expect((await raw("/_edge-kv/api/resources/stores/kv")).status).toBe(401);
    const stores = await raw("/_edge-kv/api/resources/stores/kv", { "fastly-key": "t0k" });
    expect(JSON.parse(stores.body).data.map((store: { name: string }) => store.name)).toEqual(["s"]);
  });

  it("lists, counts, writes with a generation guard, exports and deletes by prefix", async () => {
    const registry = await start();
    const app = new KVStore("s");
    for (const key of ["a/1", "a/2", "b/1"]) await app.put(key, `v:${key}`);
    await app.put("a/ttl", "x", { ttl: 90, metadata: "m" });
    const stores = JSON.parse((await raw("/_edge-kv/api/stores")).body);
    expect(stores).toEqual({ stores: [{ name: "s", id: expect.stringMatching(/^[a-z0-9]{22}$/), keys: 4 }], now: Date.UTC(2026, 0, 1) });
    const page = JSON.parse((await raw("/_edge-kv/api/stores/s/keys?prefix=a/&limit=2")).body);
    expect(page.items.map((item: { key: string }) => item.key)).toEqual(["a/1", "a/2"]);
    const next = JSON.parse((await raw(`/_edge-kv/api/stores/s/keys?prefix=a/&limit=2&cursor=${encodeURIComponent(page.cursor)}`)).body);
    expect(next).toMatchObject({ items: [{ key: "a/ttl", size: 1, expiresAt: Date.UTC(2026, 0, 1) + 90_000 }], cursor: null });
    expect(JSON.parse((await raw("/_edge-kv/api/stores/s/count?prefix=a/")).body).count).toBe(3);

    const entry = JSON.parse((await raw("/_edge-kv/api/stores/s/entries/a%2Fttl")).body);
    expect(entry).toMatchObject({ key: "a/ttl", value: "eA==", metadata: "m", expiresAt: Date.UTC(2026, 0, 1) + 90_000, now: Date.UTC(2026, 0, 1) });
    const put = (body: unknown) =>
      fetch(`${server!.url}/_edge-kv/api/stores/s/entries/a%2Fttl`, { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    const written = await put({ value: "eQ==", metadata: "line 1\nline 2", ttl: null, ifGenerationMatch: entry.generation });
    expect(written.status).toBe(200);
    expect(await written.json()).toMatchObject({ value: "eQ==", metadata: "line 1\nline 2", expiresAt: null });
    const stale = await put({ value: "eg==", ifGenerationMatch: entry.generation });
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({ error: expect.stringMatching(/^conflict: key "a\/ttl" was not written because it changed since you read it/), current: { value: "eQ==" } });

    // Metadata that is not UTF-8 goes back the way GET answers it: metadataBase64.
    const binary = await put({ value: "eQ==", metadataBase64: "/w0K" });
    expect([binary.status, (await binary.json()).metadataBase64]).toEqual([200, "/w0K"]);
    expect([...new Uint8Array((await app.get("a/ttl"))!.metadata()!)]).toEqual([0xff, 0x0d, 0x0a]);
    for (const [body, error] of [
      [{ value: "eQ==", metadataBase64: "!!" }, '"metadataBase64" must be base64 text'],
      [{ value: "eQ==", metadata: "m", metadataBase64: "bQ==" }, 'give "metadata" or "metadataBase64", not both'],
    ] as const) {
      const refused = await put(body);
      expect([refused.status, await refused.json()]).toEqual([400, { error }]);
    }
    await put({ value: "eQ==", metadata: "line 1\nline 2" });

    const exported = await raw("/_edge-kv/api/stores/s/export?prefix=a/");
    expect(exported.headers["content-type"]).toBe("application/x-ndjson");
    expect(exported.body).toBe(['{"key":"a/1","value":"djphLzE="}', '{"key":"a/2","value":"djphLzI="}', '{"key":"a/ttl","value":"eQ==","metadata":"line 1\\nline 2"}', ""].join("\n"));

    expect((await raw("/_edge-kv/api/stores/s/keys", {}, "DELETE")).status).toBe(400);
    expect(JSON.parse((await raw("/_edge-kv/api/stores/s/keys?prefix=a/", {}, "DELETE")).body).deleted).toBe(3);
    expect((await app.list({})).list).toEqual(["b/1"]);
    expect((await raw("/_edge-kv/api/stores/nope/keys")).body).toBe(JSON.stringify({ error: "store 'nope' is not defined on this server (stores: s)" }));
    void registry;
  });

  it("a query parameter whose bytes are not UTF-8 is a 400 naming it, never a prefix of U+FFFD (a delete by prefix included)", async () => {
    await start();
    await new KVStore("s").put("\uFFFDx", "kept");
    for (const [path, method] of [["keys?prefix=%FF", "GET"], ["count?prefix=%FF", "GET"], ["export?prefix=%FF", "GET"], ["keys?prefix=%FF", "DELETE"]] as const) {
      const answer = await raw(`/_edge-kv/api/stores/s/${path}`, {}, method);
      expect([answer.status, JSON.parse(answer.body)], `${method} ${path}`).toEqual([
        400,
        { error: "query parameter 'prefix' is not valid UTF-8 once percent-decoded ('%FF'): percent-encode the UTF-8 bytes of the text" },
      ]);
    }
    expect((await new KVStore("s").list({})).list).toEqual(["\uFFFDx"]);
  });

  it("streams every store operation as server-sent events", async () => {
    await start();
    const response = await fetch(`${server!.url}/_edge-kv/api/operations?store=s`);
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    expect((await reader.read()).value).toBe(": edge-kv operations\n\n");
    await new KVStore("s").put("k", "hello");
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value;
    const event = JSON.parse(text.slice("data: ".length, text.indexOf("\n\n")));
    expect(event).toMatchObject({ store: "s", operation: "insert", key: "k", outcome: "ok", size: 5, mode: "overwrite" });
    await reader.cancel();
  });
});
