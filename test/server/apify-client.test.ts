/**
 * The official `apify-client` (2.25.0), unmodified except for `baseUrl`, against the local server.
 * Every key-value store operation the client offers is exercised.
 */
import { describe, expect, test } from "vitest";
import { ApifyClient } from "apify-client";
import { KVStore } from "edge-kv";
import { json, useServer } from "./helpers.js";

const h = useServer({ token: "apify-token" });
const client = () => new ApifyClient({ token: "apify-token", baseUrl: h.server.url, maxRetries: 0 });

describe("official apify-client against the local server", () => {
  test("getOrCreate creates once (201) and returns the same store the second time (200)", async () => {
    const first = await client().keyValueStores().getOrCreate("research-kvs");
    const second = await client().keyValueStores().getOrCreate("research-kvs");
    expect(second.id).toBe(first.id);
    expect(first.id).toMatch(/^[a-zA-Z0-9]{17}$/);
    expect(first.name).toBe("research-kvs");
    expect(first.createdAt).toEqual(new Date(h.clock.now()));
    expect(h.registry.hasStore("research-kvs")).toBe(true);
    const raw = await h.call(`/v2/key-value-stores?name=research-kvs`, { method: "POST", headers: { authorization: "Bearer apify-token" } });
    expect(raw.status).toBe(200);
  });

  test("records keep their Content-Type: JSON and text are parsed back, buffers come back as bytes", async () => {
    const { id } = await client().keyValueStores().getOrCreate("records");
    const store = client().keyValueStore(id);
    await store.setRecord({ key: "OUTPUT", value: { a: 1 } });
    await store.setRecord({ key: "note.txt", value: "plain text" });
    await store.setRecord({ key: "blob", value: Buffer.from([0, 1, 2]) as never }); // the client types values as JSON, yet sends Buffers as octet-stream
    expect(await store.getRecord("OUTPUT")).toEqual({ key: "OUTPUT", value: { a: 1 }, contentType: "application/json; charset=utf-8" });
    expect(await store.getRecord("note.txt")).toEqual({ key: "note.txt", value: "plain text", contentType: "text/plain; charset=utf-8" });
    const blob = await store.getRecord("blob", { buffer: true });
    expect(new Uint8Array(blob!.value as Buffer)).toEqual(new Uint8Array([0, 1, 2]));
    expect(await store.getRecord("nope")).toBeUndefined();
    expect(await store.recordExists("OUTPUT")).toBe(true);
    expect(await store.recordExists("nope")).toBe(false);
    expect((await h.registry.store("records").inspect("OUTPUT"))!.contentType).toBe("application/json; charset=utf-8");
  });

  test("a record of 1024 bytes or more is sent brotli-compressed and stored decompressed", async () => {
    const { id } = await client().keyValueStores().getOrCreate("big");
    const text = "x".repeat(5000);
    await client().keyValueStore(id).setRecord({ key: "big", value: text });
    expect(await h.registry.store("big").snapshot()).toEqual({ big: text });
  });

  test("listKeys pages with exclusiveStartKey and limit, and filters by prefix", async () => {
    const { id } = await client().keyValueStores().getOrCreate("keys");
    const store = client().keyValueStore(id);
    for (const key of ["a1", "a2", "b1"]) await store.setRecord({ key, value: key });
    const page = await store.listKeys({ limit: 2 });
    expect(page.items.map((item) => [item.key, item.size])).toEqual([["a1", 2], ["a2", 2]]);
    expect([page.isTruncated, page.nextExclusiveStartKey, page.count, page.limit]).toEqual([true, "a2", 2, 2]);
    const rest = await store.listKeys({ exclusiveStartKey: "a2" });
    expect(rest.items.map((item) => item.key)).toEqual(["b1"]);
    expect([rest.isTruncated, rest.nextExclusiveStartKey, rest.exclusiveStartKey]).toEqual([false, null, "a2"]);
    expect((await store.listKeys({ prefix: "a" })).items.map((item) => item.key)).toEqual(["a1", "a2"]);
    const all: string[] = [];
    for await (const item of store.listKeys({ limit: 1 } as never) as unknown as AsyncIterable<{ key: string }>) all.push(item.key);
    expect(all).toEqual(["a1"]);
  });

  test("deleteRecord, list, update (rename), delete, and get of a deleted store", async () => {
    const { id } = await client().keyValueStores().getOrCreate("research-kvs");
    const store = client().keyValueStore(id);
    await store.setRecord({ key: "blob", value: "x" });
    await store.deleteRecord("blob");
    expect(await store.getRecord("blob")).toBeUndefined();
    const listed = await client().keyValueStores().list();
    expect(listed.items.map((item) => item.name)).toEqual(["research-kvs"]);
    expect([listed.total, listed.count, listed.offset]).toEqual([1, 1, 0]);
    const renamed = await store.update({ name: "renamed-kvs" });
    expect(renamed.name).toBe("renamed-kvs");
    expect(h.registry.hasStore("renamed-kvs")).toBe(true);
    expect(h.registry.hasStore("research-kvs")).toBe(false);
    await store.delete();
    expect(await store.get()).toBeUndefined();
    expect(h.registry.hasStore("renamed-kvs")).toBe(false);
  });

  test("a store is also addressed as username~name; stats count reads, writes, deletes and lists", async () => {
    const { id } = await client().keyValueStores().getOrCreate("stats");
    const byName = client().keyValueStore("local~stats");
    await byName.setRecord({ key: "k", value: "v" });
    await byName.getRecord("k");
    await byName.listKeys();
    await byName.deleteRecord("k");
    const info = await client().keyValueStore(id).get();
    expect(info!.stats).toMatchObject({ readCount: 1, writeCount: 1, deleteCount: 1, listCount: 1 });
  });

  test("what apify-client writes, KVStore reads, and KVStore writes are apify records (default Content-Type octet-stream)", async () => {
    const { id } = await client().keyValueStores().getOrCreate("shared");
    await client().keyValueStore(id).setRecord({ key: "from-apify", value: "a" });
    expect(await (await new KVStore("shared").get("from-apify"))!.text()).toBe("a");
    await new KVStore("shared").put("from-js", "j");
    const record = await client().keyValueStore(id).getRecord("from-js", { buffer: true });
    expect([Buffer.from(record!.value as Buffer).toString(), record!.contentType]).toEqual(["j", "application/octet-stream"]);
  });
});

describe("Apify endpoint errors", () => {
  const auth = { authorization: "Bearer apify-token" };

  test("a missing or wrong token is 401 invalid-token; ?token= is accepted", async () => {
    const response = await h.call("/v2/key-value-stores");
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual({
      error: { type: "invalid-token", message: "Authentication token is missing or invalid: send 'Authorization: Bearer <token>' with the server's token" },
    });
    expect((await h.call("/v2/key-value-stores?token=apify-token")).status).toBe(200);
  });

  test("an unknown store and a missing record are 404 record-not-found", async () => {
    const store = await h.call("/v2/key-value-stores/nope", { headers: auth });
    expect(store.status).toBe(404);
    expect(await json(store)).toEqual({ error: { type: "record-not-found", message: "Key-value store 'nope' was not found: use its id, or username~name" } });
    const { id } = await client().keyValueStores().getOrCreate("s");
    const record = await h.call(`/v2/key-value-stores/${id}/records/none`, { method: "DELETE", headers: auth });
    expect(record.status).toBe(404);
    expect(await json(record)).toEqual({ error: { type: "record-not-found", message: `Record 'none' was not found in key-value store '${id}'` } });
  });

  test("a record key outside Apify's alphabet is 400 and nothing is written", async () => {
    const { id } = await client().keyValueStores().getOrCreate("s");
    const response = await h.call(`/v2/key-value-stores/${id}/records/a%20b`, { method: "PUT", body: "x", headers: auth });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      error: { type: "invalid-parameter", message: `invalid record key "a b": a key is 1 to 256 characters from a-z A-Z 0-9 ! - _ . ' ( )` },
    });
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });

  test("a record over the size limit is 413 and an unknown Content-Encoding is 415", async () => {
    const { id } = await client().keyValueStores().getOrCreate("s");
    const large = await h.call(`/v2/key-value-stores/${id}/records/k`, { method: "PUT", body: new Uint8Array(9 * 1024 * 1024 + 1), headers: auth });
    expect(large.status).toBe(413);
    expect(await json(large)).toEqual({ error: { type: "request-too-large", message: "the value is 9437185 bytes; the limit is 9437184 bytes" } });
    const encoded = await h.call(`/v2/key-value-stores/${id}/records/k`, { method: "PUT", body: "x", headers: { ...auth, "content-encoding": "zstd" } });
    expect(encoded.status).toBe(415);
    expect(await json(encoded)).toEqual({ error: { type: "unsupported-content-encoding", message: "Content-Encoding 'zstd' is not supported: use br, gzip, deflate or identity" } });
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });

  test("list takes offset, limit and desc, and hides unnamed stores unless unnamed=1", async () => {
    for (const name of ["one", "two"]) {
      await client().keyValueStores().getOrCreate(name);
      h.clock.advance(1000);
    }
    await client().keyValueStores().getOrCreate();
    const named = await client().keyValueStores().list({ desc: true, limit: 1 });
    expect(named.items.map((item) => item.name)).toEqual(["two"]);
    expect(named.total).toBe(2);
    const all = await client().keyValueStores().list({ unnamed: true, offset: 2 });
    expect(all.items.map((item) => item.name)).toEqual([null]);
  });
});
