/**
 * The official `telnyx` client (7.24.0), unmodified except for `baseURL`, against the local server.
 * Every storage.kvs operation the client offers is exercised.
 */
import { describe, expect, test } from "vitest";
import Telnyx from "telnyx";
import { KVStore } from "edge-kv";
import { json, useServer } from "./helpers.js";

const h = useServer({ token: "telnyx-key" });
const client = () => new Telnyx({ apiKey: "telnyx-key", baseURL: `${h.server.url}/v2`, maxRetries: 0 });
const auth = { authorization: "Bearer telnyx-key" };

async function failure(promise: Promise<unknown>): Promise<{ status: number; error: unknown }> {
  try {
    await promise;
  } catch (error) {
    return error as { status: number; error: unknown };
  }
  throw new Error("expected the client call to fail");
}

describe("official telnyx client against the local server", () => {
  test("namespaces: create answers 201 pending, then retrieve and list say provision_ok; delete answers deleting and removes it", async () => {
    const created = (await client().storage.kvs.create({ name: "my-cache" })).data!;
    expect(created).toMatchObject({ record_type: "storage_kv", name: "my-cache", status: "pending", created_at: "2026-11-23T08:00:00.000Z" });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await client().storage.kvs.retrieve(created.id!)).data!.status).toBe("provision_ok");
    const names: string[] = [];
    for await (const namespace of client().storage.kvs.list()) names.push(namespace.name!);
    expect(names).toEqual(["my-cache"]);
    expect(h.registry.hasStore("my-cache")).toBe(true);
    expect((await client().storage.kvs.delete(created.id!)).data!.status).toBe("deleting");
    expect(h.registry.hasStore("my-cache")).toBe(false);
    expect((await failure(client().storage.kvs.retrieve(created.id!))).status).toBe(404);
  });

  test("keys: update stores raw bytes (201 created, 200 updated, ttl_secs), retrieve echoes them, list pages with cursor, delete is idempotent", async () => {
    const { id } = (await client().storage.kvs.create({ name: "keys" })).data!;
    const kvs = client().storage.kvs.keys;
    const created = await kvs.update("user/1", "hello", { id: id! }).asResponse();
    expect(created.status).toBe(201);
    const updated = await kvs.update("user/1", new Uint8Array([0, 255]), { id: id!, ttl_secs: 60 }).asResponse();
    expect(updated.status).toBe(200);
    await kvs.update("user/2", "x", { id: id! });
    expect((await h.registry.store("keys").inspect("user/1"))!.expiresAt!.getTime()).toBe(h.clock.now() + 60_000);

    const response = await kvs.retrieve("user/1", { id: id! });
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([0, 255]));
    expect(response.headers.get("content-type")).toBe("application/octet-stream");

    const first = await kvs.list(id!, { limit: 1, prefix: "user/" });
    expect(first.data).toEqual([{ key: "user/1", size_bytes: 2, updated_at: "2026-11-23T08:00:00.000Z" }]);
    const all: string[] = [];
    for await (const item of kvs.list(id!, { limit: 1 })) all.push(item.key!);
    expect(all).toEqual(["user/1", "user/2"]);

    expect((await failure(kvs.retrieve("missing", { id: id! }))).status).toBe(404);
    await kvs.delete("user/2", { id: id! });
    await kvs.delete("user/2", { id: id! });
    expect(await h.registry.store("keys").snapshot()).toEqual({ "user/1": "\u0000\ufffd" });
  });

  test("a bad key is 400 with code 10015 and nothing is written", async () => {
    const { id } = (await client().storage.kvs.create({ name: "keys" })).data!;
    const error = await failure(client().storage.kvs.keys.update("bad key!", "x", { id: id! }));
    expect(error.status).toBe(400);
    expect(error.error).toEqual({
      errors: [
        {
          code: "10015",
          title: "Bad Request",
          detail: `invalid key "bad key!": the key may only contain letters, digits and - / _ = .`,
          source: { parameter: "key" },
          meta: { url: "https://developers.telnyx.com/api/errors/10015" },
        },
      ],
    });
    expect(await h.registry.store("keys").snapshot()).toEqual({});
  });

  test("what telnyx writes, KVStore reads, and KVStore writes are telnyx keys", async () => {
    const { id } = (await client().storage.kvs.create({ name: "shared" })).data!;
    await client().storage.kvs.keys.update("from-telnyx", "t", { id: id! });
    expect(await (await new KVStore("shared").get("from-telnyx"))!.text()).toBe("t");
    await new KVStore("shared").put("from-js", "j");
    expect(await (await client().storage.kvs.keys.retrieve("from-js", { id: id! })).text()).toBe("j");
  });
});

describe("Telnyx endpoint errors", () => {
  const P = "/v2/storage/kvs";

  test("a missing or wrong token is 401 with code 10009", async () => {
    const response = await h.call(P, { headers: { authorization: "Bearer wrong" } });
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      errors: [
        {
          code: "10009",
          title: "Authentication failed",
          detail: "The API key is missing or invalid: send 'Authorization: Bearer <token>' with the server's token",
          meta: { url: "https://developers.telnyx.com/api/errors/10009" },
        },
      ],
    });
  });

  test("a namespace id that is not a UUID is 400; an unknown one is 404 with code 10005", async () => {
    const bad = (await json(await h.call(`${P}/abc`, { headers: auth }))) as { errors: { code: string; detail: string }[] };
    expect([bad.errors[0]!.code, bad.errors[0]!.detail]).toEqual(["10015", "namespace id 'abc' is not a UUID"]);
    const id = "182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e";
    const missing = await h.call(`${P}/${id}`, { headers: auth });
    expect(missing.status).toBe(404);
    const body = (await json(missing)) as { errors: { code: string; detail: string }[] };
    expect([body.errors[0]!.code, body.errors[0]!.detail]).toEqual(["10005", `KV namespace '${id}' was not found: list namespaces with GET /v2/storage/kvs`]);
  });

  test.each([
    ["an upper-case name", { name: "MyCache" }],
    ["a missing name", {}],
  ])("create with %s is 400 and creates nothing", async (_label, body) => {
    const response = await h.call(P, { method: "POST", headers: auth, body: JSON.stringify(body) });
    expect(response.status).toBe(400);
    const detail = ((await json(response)) as { errors: { detail: string }[] }).errors[0]!.detail;
    expect(detail).toBe(`invalid namespace name ${JSON.stringify((body as { name?: string }).name) ?? "(missing)"}: use lowercase letters, digits and hyphens (at most 255)`);
    expect(h.registry.storeNames()).toEqual([]);
  });

  test.each([
    ["a reserved _ key", "_internal", `invalid key "_internal": the key starts with '_', which is reserved`],
    ["a key of 257 characters", "k".repeat(257), `invalid key "${"k".repeat(257)}": the key is 257 characters; the limit is 256`],
    ["a key with a colon", "a:b", `invalid key "a:b": the key may only contain letters, digits and - / _ = .`],
  ])("put of %s is 400 with code 10015", async (_label, key, detail) => {
    const { id } = (await client().storage.kvs.create({ name: "keys" })).data!;
    const response = await h.call(`${P}/${id}/keys/${encodeURIComponent(key)}`, { method: "PUT", headers: auth, body: "x" });
    expect(response.status).toBe(400);
    const error = ((await json(response)) as { errors: { code: string; detail: string }[] }).errors[0]!;
    expect([error.code, error.detail]).toEqual(["10015", detail]);
  });

  test("a value over 1 MiB is 413; ttl_secs out of range is 400", async () => {
    const { id } = (await client().storage.kvs.create({ name: "keys" })).data!;
    const large = await h.call(`${P}/${id}/keys/k`, { method: "PUT", headers: auth, body: new Uint8Array(1024 * 1024 + 1) });
    expect(large.status).toBe(413);
    const ttl = await h.call(`${P}/${id}/keys/k?ttl_secs=0`, { method: "PUT", headers: auth, body: "x" });
    expect(ttl.status).toBe(400);
    expect(((await json(ttl)) as { errors: { detail: string }[] }).errors[0]!.detail).toBe("ttl_secs must be a whole number from 1 to 9223372036, got '0'");
    const huge = await h.call(`${P}/${id}/keys/k?ttl_secs=9000000000`, { method: "PUT", headers: auth, body: "x" });
    expect(((await json(huge)) as { errors: { detail: string }[] }).errors[0]!.detail).toBe("ttl_secs 9000000000 is above edge-kv's TTL limit of 4294967295 seconds");
    expect(await h.registry.store("keys").snapshot()).toEqual({});
  });

  test("list takes page[number] and page[size] (capped at 250)", async () => {
    for (const name of ["a", "b", "c"]) {
      await client().storage.kvs.create({ name });
      h.clock.advance(1000);
    }
    const page = (await json(await h.call(`${P}?page[number]=2&page[size]=2`, { headers: auth }))) as { data: { name: string }[]; meta: unknown };
    expect(page.data.map((ns) => ns.name)).toEqual(["c"]);
    expect(page.meta).toEqual({ page_number: 2, page_size: 2, total_pages: 2, total_results: 3 });
    const capped = (await json(await h.call(`${P}?page[size]=999`, { headers: auth }))) as { meta: { page_size: number } };
    expect(capped.meta.page_size).toBe(250);
  });
});
