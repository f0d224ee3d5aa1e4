import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { EdgeKvError, KVRegistry } from "edge-kv";
import { createServer } from "edge-kv/server";
import { json, useServer } from "./helpers.js";

const h = useServer();
const folder = mkdtempSync(join(tmpdir(), "edge-kv-server-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe("routing", () => {
  test("an unknown path is 404 listing the three URL spaces", async () => {
    const response = await h.call("/v1/whatever");
    expect(response.status).toBe(404);
    expect(await json(response)).toEqual({
      error: "no such endpoint: GET /v1/whatever. edge-kv serves /resources/stores/kv (Fastly), /v2/key-value-stores (Apify) and /v2/storage/kvs (Telnyx)",
    });
  });

  test("the Fastly CLI's OpenID preflight path answers a JSON object", async () => {
    const response = await h.call("/realms/fastly/.well-known/openid-configuration");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ issuer: "http://127.0.0.1/realms/fastly", note: "edge-kv local server" });
  });
});

describe("the server follows the registry", () => {
  test("an item whose TTL has passed is gone over REST too", async () => {
    const admin = h.registry.defineStore("ttl");
    await admin.put("k", "v", { ttl: 10 });
    const id = ((await json(await h.call("/resources/stores/kv?name=ttl"))) as { data: { id: string }[] }).data[0]!.id;
    expect((await h.call(`/resources/stores/kv/${id}/keys/k`)).status).toBe(200);
    h.clock.advanceSeconds(10);
    expect((await h.call(`/resources/stores/kv/${id}/keys/k`)).status).toBe(404);
    expect(await json(await h.call(`/resources/stores/kv/${id}/keys`))).toEqual({ data: [], meta: { limit: 1000 } });
  });

  test("a store removed from the registry disappears from every dialect", async () => {
    h.registry.defineStore("gone");
    const id = ((await json(await h.call("/resources/stores/kv?name=gone"))) as { data: { id: string }[] }).data[0]!.id;
    await h.registry.removeStore("gone");
    expect((await h.call(`/resources/stores/kv/${id}`)).status).toBe(404);
    expect(await json(await h.call("/resources/stores/kv"))).toEqual({ data: [], meta: { limit: 1000, total: 0 } });
    expect(((await json(await h.call("/v2/storage/kvs"))) as { data: unknown[] }).data).toEqual([]);
  });

  test("a server given an explicit registry serves that one, not the active one", async () => {
    const own = new KVRegistry();
    own.defineStore("private");
    const server = await createServer({ registry: own });
    try {
      const body = (await (await fetch(`${server.url}/resources/stores/kv`)).json()) as { data: { name: string }[] };
      expect(body.data.map((s) => s.name)).toEqual(["private"]);
    } finally {
      await server.close();
    }
  });
});

describe("Apify record encodings", () => {
  test("a gzip-encoded record is stored decoded; HEAD of a record is 200 without a body", async () => {
    const created = (await json(await h.call("/v2/key-value-stores?name=enc", { method: "POST" }))) as { data: { id: string } };
    const put = await h.call(`/v2/key-value-stores/${created.data.id}/records/doc`, {
      method: "PUT",
      body: gzipSync("zipped text"),
      headers: { "content-encoding": "gzip", "content-type": "text/plain" },
    });
    expect(put.status).toBe(201);
    expect(await put.text()).toBe("{}");
    expect(put.headers.get("location")).toBe(`/v2/key-value-stores/${created.data.id}/records/doc`);
    expect(await h.registry.store("enc").snapshot()).toEqual({ doc: "zipped text" });
    const head = await h.call(`/v2/key-value-stores/${created.data.id}/records/doc`, { method: "HEAD" });
    expect([head.status, head.headers.get("content-type"), await head.text()]).toEqual([200, "text/plain", ""]);
  });

  test("a body that is not what its Content-Encoding says is 400 and writes nothing", async () => {
    const created = (await json(await h.call("/v2/key-value-stores?name=enc", { method: "POST" }))) as { data: { id: string } };
    const put = await h.call(`/v2/key-value-stores/${created.data.id}/records/doc`, { method: "PUT", body: "plain", headers: { "content-encoding": "gzip" } });
    expect(put.status).toBe(400);
    expect(await json(put)).toEqual({ error: { type: "invalid-parameter", message: "the request body is not valid gzip data (Content-Encoding: gzip)" } });
    expect(await h.registry.store("enc").snapshot()).toEqual({});
  });
});

describe("state file", () => {
  test("store ids are kept in the state file and re-used by the next server on a fresh registry", async () => {
    const stateFile = join(folder, "ids.json");
    const first = new KVRegistry();
    first.defineStore("kept");
    const a = await createServer({ registry: first, stateFile });
    const idA = ((await (await fetch(`${a.url}/resources/stores/kv`)).json()) as { data: { id: string }[] }).data[0]!.id;
    await a.close();
    const second = new KVRegistry();
    second.defineStore("kept");
    const b = await createServer({ registry: second, stateFile });
    const idB = ((await (await fetch(`${b.url}/resources/stores/kv`)).json()) as { data: { id: string }[] }).data[0]!.id;
    await b.close();
    expect(idB).toBe(idA);
  });

  test("a store the state file knows that is defined only after the server started gets its old ids back", async () => {
    const stateFile = join(folder, "late.json");
    const first = new KVRegistry();
    first.defineStore("late");
    const a = await createServer({ registry: first, stateFile });
    const idA = ((await (await fetch(`${a.url}/resources/stores/kv`)).json()) as { data: { id: string }[] }).data[0]!.id;
    await a.close();
    const second = new KVRegistry();
    const b = await createServer({ registry: second, stateFile });
    second.defineStore("late");
    const idB = ((await (await fetch(`${b.url}/resources/stores/kv`)).json()) as { data: { id: string }[] }).data[0]!.id;
    await b.close();
    expect(idB).toBe(idA);
  });

  test("a state file that is not JSON is refused with an EdgeKvError naming the file and what to do", async () => {
    const stateFile = join(folder, "broken.json");
    writeFileSync(stateFile, "{not json");
    const attempt = createServer({ registry: new KVRegistry(), stateFile });
    await expect(attempt).rejects.toThrow(EdgeKvError);
    const parserMessage = (() => {
      try {
        JSON.parse("{not json");
      } catch (error) {
        return (error as Error).message;
      }
    })();
    await expect(attempt).rejects.toThrow(
      `edge-kv: the REST server state file ${stateFile} is not valid JSON (${parserMessage}); fix it or delete it (store ids will be re-assigned)`,
    );
  });
});
