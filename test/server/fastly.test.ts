import { describe, expect, test } from "vitest";
import { KVStore } from "edge-kv";
import { json, useServer } from "./helpers.js";

const h = useServer({}, { "fastly-key": "any-token" });
const P = "/resources/stores/kv";

async function createStore(name: string): Promise<string> {
  const response = await h.call(P, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
  expect(response.status).toBe(201);
  return ((await json(response)) as { id: string }).id;
}

function put(id: string, key: string, body: BodyInit, headers: Record<string, string> = {}, query = "") {
  return h.call(`${P}/${id}/keys/${encodeURIComponent(key)}${query}`, { method: "PUT", body, headers });
}

describe("Fastly stores", () => {
  test("create returns 201 and a store object with a 22-char id and 'YYYY-MM-DD HH:MM:SS' timestamps", async () => {
    const response = await h.call(`${P}?location=EU`, { method: "POST", body: JSON.stringify({ name: "orders" }) });
    expect(response.status).toBe(201);
    expect(response.headers.get("content-type")).toBe("application/json");
    const store = (await json(response)) as Record<string, string>;
    expect(Object.keys(store)).toEqual(["id", "name", "created_at", "updated_at"]);
    expect(store.id).toMatch(/^[a-z0-9]{22}$/);
    expect(store).toMatchObject({ name: "orders", created_at: "2026-11-23 08:00:00", updated_at: "2026-11-23 08:00:00" });
  });

  test("a store created over REST is a registry store that new KVStore(name) opens", async () => {
    await createStore("orders");
    expect(h.registry.hasStore("orders")).toBe(true);
    await new KVStore("orders").put("a", "1");
    expect(await h.registry.store("orders").snapshot()).toEqual({ a: "1" });
  });

  test("create rejects a duplicate name with 409 and an empty or bad name with 400", async () => {
    await createStore("orders");
    const duplicate = await h.call(P, { method: "POST", body: JSON.stringify({ name: "orders" }) });
    expect(duplicate.status).toBe(409);
    expect(await json(duplicate)).toEqual({ msg: "Conflict", detail: "a store named 'orders' already exists; pick another name or use the existing store" });
    const empty = await h.call(P, { method: "POST", body: JSON.stringify({ name: "" }) });
    expect(empty.status).toBe(400);
    expect(await json(empty)).toEqual({ msg: "Bad Request", detail: 'invalid store name "": name can not be an empty string' });
    const missing = await h.call(P, { method: "POST", body: "{}" });
    expect(await json(missing)).toEqual({ msg: "Bad Request", detail: 'the body must have a string "name" (the store name), got nothing' });
    const notJson = await h.call(P, { method: "POST", body: "name=x" });
    expect(await json(notJson)).toEqual({ msg: "Bad Request", detail: 'the request body must be a JSON object ({"name": "<store name>"}); got invalid JSON' });
  });

  test("create rejects an unknown location with 400", async () => {
    const response = await h.call(`${P}?location=MARS`, { method: "POST", body: JSON.stringify({ name: "x" }) });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ msg: "Bad Request", detail: "query parameter 'location' must be one of US, EU, ASIA, AUS, got 'MARS'" });
    expect(h.registry.hasStore("x")).toBe(false);
  });

  test("list shows stores defined elsewhere too, with meta.limit and meta.total, filtered by name, paged by cursor", async () => {
    h.registry.defineStore("b-defined");
    await createStore("a-rest");
    await createStore("c-rest");
    const all = (await json(await h.call(P))) as { data: { name: string }[]; meta: unknown };
    expect(all.data.map((s) => s.name)).toEqual(["a-rest", "b-defined", "c-rest"]);
    expect(all.meta).toEqual({ limit: 1000, total: 3 });
    const named = (await json(await h.call(`${P}?name=c-rest`))) as { data: { name: string }[]; meta: unknown };
    expect(named.data.map((s) => s.name)).toEqual(["c-rest"]);
    const first = (await json(await h.call(`${P}?limit=2`))) as { data: { name: string }[]; meta: { next_cursor: string } };
    expect(first.data.map((s) => s.name)).toEqual(["a-rest", "b-defined"]);
    const second = (await json(await h.call(`${P}?limit=2&cursor=${first.meta.next_cursor}`))) as { data: { name: string }[]; meta: unknown };
    expect(second.data.map((s) => s.name)).toEqual(["c-rest"]);
    expect(second.meta).toEqual({ limit: 2, total: 3 });
  });

  test("an empty account lists {data: [], meta: {limit: 1000, total: 0}}", async () => {
    expect(await json(await h.call(P))).toEqual({ data: [], meta: { limit: 1000, total: 0 } });
  });

  test("describe returns the store; an unknown id is 404 with a clear detail", async () => {
    const id = await createStore("orders");
    expect(await json(await h.call(`${P}/${id}`))).toMatchObject({ id, name: "orders" });
    const missing = await h.call(`${P}/nosuchstore`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ msg: "Record not found", detail: "Couldn't find KV store 'nosuchstore'. List stores with GET /resources/stores/kv to see their ids" });
  });

  test("rename (PUT) keeps the id and data and moves the registry name", async () => {
    const id = await createStore("old");
    await put(id, "k", "v");
    h.clock.advance(5000);
    const response = await h.call(`${P}/${id}`, { method: "PUT", body: JSON.stringify({ name: "new" }) });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    expect(await json(await h.call(`${P}/${id}`))).toMatchObject({ id, name: "new", updated_at: "2026-11-23 08:00:05" });
    expect(h.registry.hasStore("old")).toBe(false);
    expect(await (await new KVStore("new").get("k"))!.text()).toBe("v");
  });

  test("delete is 204 for an empty store and 409 while it holds items", async () => {
    const id = await createStore("orders");
    await put(id, "k", "v");
    const refused = await h.call(`${P}/${id}`, { method: "DELETE" });
    expect(refused.status).toBe(409);
    expect(await json(refused)).toEqual({
      msg: "Conflict",
      detail: "A KV store must be empty before it can be deleted: store 'orders' still holds items (delete them first)",
    });
    await h.call(`${P}/${id}/keys/k`, { method: "DELETE" });
    const deleted = await h.call(`${P}/${id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    expect(h.registry.hasStore("orders")).toBe(false);
    expect((await h.call(`${P}/${id}`)).status).toBe(404);
  });
});

describe("Fastly items", () => {
  test("put stores the raw body with metadata and TTL; get returns it with Generation, Metadata, Last-Modified, Stored-Content-Length", async () => {
    const id = await createStore("s");
    const response = await put(id, "dir/a b", new Uint8Array([0, 1, 2, 255]), { metadata: "meta-1", time_to_live_sec: "60" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-length")).toBe("0");
    expect(response.headers.get("generation")).toBeNull();
    const record = (await h.registry.store("s").inspect("dir/a b"))!;
    expect(record.expiresAt!.getTime()).toBe(h.clock.now() + 60_000);
    const got = await h.call(`${P}/${id}/keys/dir%2Fa%20b`);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(new Uint8Array([0, 1, 2, 255]));
    expect(got.headers.get("content-type")).toBe("application/octet-stream");
    expect(got.headers.get("generation")).toBe(String(record.generation));
    expect(got.headers.get("metadata")).toBe("meta-1");
    expect(got.headers.get("last-modified")).toBe("Mon, 23 Nov 2026 08:00:00 GMT");
    expect(got.headers.get("stored-content-length")).toBe("4");
  });

  test("a raw / in the path is part of the key", async () => {
    const id = await createStore("s");
    await h.call(`${P}/${id}/keys/a/b/c`, { method: "PUT", body: "x" });
    expect(await h.registry.store("s").snapshot()).toEqual({ "a/b/c": "x" });
  });

  test("HEAD returns the headers without a body", async () => {
    const id = await createStore("s");
    await put(id, "k", "hello", { metadata: "m" });
    const head = await h.call(`${P}/${id}/keys/k`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("metadata")).toBe("m");
    expect(head.headers.get("content-length")).toBe("5");
    expect(await head.text()).toBe("");
  });

  test("get of a missing key is 404 naming the key and store; metadata absent is sent as an empty header", async () => {
    const id = await createStore("s");
    const missing = await h.call(`${P}/${id}/keys/nope`);
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ msg: "Record not found", detail: `key "nope" does not exist in store 's'` });
    await put(id, "k", "v");
    expect((await h.call(`${P}/${id}/keys/k`)).headers.get("metadata")).toBe("");
  });

  test("UTF-8 metadata travels byte for byte in the header", async () => {
    const id = await createStore("s");
    await put(id, "k", "v", { metadata: Buffer.from("héllo ✓", "utf8").toString("latin1") });
    expect((await h.registry.store("s").inspect("k"))!.metadataText).toBe("héllo ✓");
    const got = await h.call(`${P}/${id}/keys/k`);
    expect(Buffer.from(got.headers.get("metadata")!, "latin1").toString("utf8")).toBe("héllo ✓");
  });

  test("metadata that no header can carry (written through KVStore) is sent base64 with Metadata-Encoding: base64", async () => {
    const id = await createStore("s");
    await new KVStore("s").put("k", "v", { metadata: "line1\nline2" });
    const got = await h.call(`${P}/${id}/keys/k`);
    expect(got.headers.get("metadata-encoding")).toBe("base64");
    expect(got.headers.get("metadata")).toBe(Buffer.from("line1\nline2").toString("base64"));
  });

  test("metadata with a leading or trailing space or tab (which HTTP would strip) is sent base64", async () => {
    const id = await createStore("s");
    for (const metadata of [" ", " v2", "v2\t", "\tv2 "]) {
      await new KVStore("s").put("k", "v", { metadata });
      const got = await h.call(`${P}/${id}/keys/k`);
      expect(got.headers.get("metadata-encoding")).toBe("base64");
      expect(Buffer.from(got.headers.get("metadata")!, "base64").toString("utf8")).toBe(metadata);
    }
    await new KVStore("s").put("k", "v", { metadata: "in side" });
    const plain = await h.call(`${P}/${id}/keys/k`);
    expect(plain.headers.get("metadata-encoding")).toBeNull();
    expect(plain.headers.get("metadata")).toBe("in side");
  });

  test("PUT takes metadata base64 with Metadata-Encoding: base64, so what GET sends that way can be written back exactly", async () => {
    const id = await createStore("s");
    for (const metadata of ["line1\r\nline2", " lead", "trail\t", "\u0000", "\uFEFFm"]) {
      const response = await h.call(`${P}/${id}/keys/k`, { method: "PUT", body: "v", headers: { metadata: Buffer.from(metadata).toString("base64"), "metadata-encoding": "base64" } });
      expect(response.status).toBe(200);
      expect((await h.registry.store("s").inspect("k"))!.metadataText).toBe(metadata);
    }
    const refused = async (headers: Record<string, string>, detail: string) => {
      const response = await h.call(`${P}/${id}/keys/other`, { method: "PUT", body: "v", headers });
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({ msg: "Bad Request", detail });
    };
    await refused({ metadata: "!!", "metadata-encoding": "base64" }, "header 'metadata' must be base64 text, as header 'metadata-encoding: base64' says");
    await refused({ metadata: "/w==", "metadata-encoding": "base64" }, "header 'metadata' (base64-decoded) must be UTF-8 text");
    await refused({ metadata: "bQ==", "metadata-encoding": "gzip" }, 'header \'metadata-encoding\' must be base64 (the only encoding), got "gzip"');
    await refused({ "metadata-encoding": "base64" }, "header 'metadata-encoding' was sent without a 'metadata' header");
    expect(await h.registry.store("s").inspect("other")).toBeNull();
  });

  test("add=true on an existing key is 412 with an empty body and writes nothing", async () => {
    const id = await createStore("s");
    await put(id, "k", "first");
    const response = await put(id, "k", "second", {}, "?add=true");
    expect(response.status).toBe(412);
    expect(await response.text()).toBe("");
    expect(await h.registry.store("s").snapshot()).toEqual({ k: "first" });
  });

  test("append and prepend join values; a write without a metadata header clears metadata", async () => {
    const id = await createStore("s");
    await put(id, "k", "apple0");
    await put(id, "k", "prefix", { metadata: "meta" }, "?prepend=true");
    expect((await h.registry.store("s").inspect("k"))!.metadataText).toBe("meta");
    await put(id, "k", "suffix", {}, "?append=true&background_fetch=true");
    const got = await h.call(`${P}/${id}/keys/k`);
    expect(await got.text()).toBe("prefixapple0suffix");
    expect(got.headers.get("metadata")).toBe("");
  });

  test("if-generation-match writes when it matches and is 412 (empty body) otherwise", async () => {
    const id = await createStore("s");
    await put(id, "k", "v1");
    const generation = (await h.registry.store("s").inspect("k"))!.generation;
    const stale = await put(id, "k", "x", { "if-generation-match": String(generation + 1) });
    expect(stale.status).toBe(412);
    expect(await stale.text()).toBe("");
    expect((await put(id, "k", "v2", { "if-generation-match": String(generation) })).status).toBe(200);
    expect(await h.registry.store("s").snapshot()).toEqual({ k: "v2" });
  });

  test.each([
    ["an invalid key", "a%23b", {}, "", `invalid key "a#b": KVStore key can not contain # character`],
    ["an acme-challenge key", ".well-known%2Facme-challenge%2Fx", {}, "", `invalid key ".well-known/acme-challenge/x": KVStore key can not start with .well-known/acme-challenge/`],
    ["a non-numeric if-generation-match", "k", { "if-generation-match": "abc" }, "", "header 'if-generation-match' must be a whole number from 1 to 9007199254740991, got 'abc'"],
    ["a negative time_to_live_sec", "k", { time_to_live_sec: "-1" }, "", "header 'time_to_live_sec' must be a whole number from 0 to 4294967295, got '-1'"],
    ["two insert modes", "k", {}, "?add=true&append=true", "query parameters add and append cannot be combined: pick one insert mode"],
    ["a bad flag value", "k", {}, "?add=yes", "query parameter 'add' must be true or false, got 'yes'"],
    ["metadata over 2000 bytes", "k", { metadata: "m".repeat(2001) }, "", "header 'metadata' is 2001 bytes; the REST API allows at most 2000 bytes"],
    ["metadata that is not UTF-8", "k", { metadata: "\xff" }, "", "header 'metadata' must be UTF-8 text"],
  ])("put with %s is 400 with a JSON detail and writes nothing", async (_name, key, headers, query, detail) => {
    const id = await createStore("s");
    const response = await h.call(`${P}/${id}/keys/${key}${query}`, { method: "PUT", body: "v", headers: headers as Record<string, string> });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({ msg: "Bad Request", detail });
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });

  test("a store defined elsewhere keeps its own metadata limit, and the 400 says how to change it", async () => {
    h.registry.defineStore("js");
    const id = ((await json(await h.call(`${P}?name=js`))) as { data: { id: string }[] }).data[0]!.id;
    const response = await put(id, "k", "v", { metadata: "m".repeat(1001) });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      msg: "Bad Request",
      detail: `KVStore.put: metadata can not be more than 1000 bytes (key "k" in store 'js'; the store allows 1000 bytes — define it with maxMetadataBytes to change that)`,
    });
  });

  test("a store created over REST accepts the REST metadata limit of 2000 bytes", async () => {
    const id = await createStore("s");
    expect((await put(id, "k", "v", { metadata: "m".repeat(2000) })).status).toBe(200);
  });

  test("a value over the server's limit is 413 and writes nothing", async () => {
    const small = await (await import("edge-kv/server")).createServer({ port: 0, limits: { maxValueBytes: 8 } });
    try {
      const created = await fetch(`${small.url}${P}`, { method: "POST", body: JSON.stringify({ name: "s" }) });
      const { id } = (await created.json()) as { id: string };
      const response = await fetch(`${small.url}${P}/${id}/keys/k`, { method: "PUT", body: "123456789" });
      expect(response.status).toBe(413);
      expect(await response.json()).toEqual({ msg: "Payload Too Large", detail: "the value is 9 bytes; the limit is 8 bytes" });
      expect(await h.registry.store("s").snapshot()).toEqual({});
    } finally {
      await small.close();
    }
  });

  test("delete is 204; a missing key is 404 unless force=true; a generation mismatch is 412", async () => {
    const id = await createStore("s");
    await put(id, "k", "v");
    const generation = (await h.registry.store("s").inspect("k"))!.generation;
    const mismatch = await h.call(`${P}/${id}/keys/k`, { method: "DELETE", headers: { "if-generation-match": String(generation + 1) } });
    expect(mismatch.status).toBe(412);
    expect(await mismatch.text()).toBe("");
    expect((await h.call(`${P}/${id}/keys/k`, { method: "DELETE", headers: { "if-generation-match": String(generation) } })).status).toBe(204);
    const missing = await h.call(`${P}/${id}/keys/k`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ msg: "Record not found", detail: `key "k" in store 's' does not exist` });
    expect((await h.call(`${P}/${id}/keys/never?force=true`, { method: "DELETE" })).status).toBe(204);
  });

  test("an unsupported method is 405", async () => {
    const id = await createStore("s");
    const response = await h.call(`${P}/${id}/keys`, { method: "POST" });
    expect(response.status).toBe(405);
    expect(await json(response)).toEqual({ msg: "Method Not Allowed", detail: "POST is not supported here; use GET" });
  });
});

describe("Fastly key listing", () => {
  test("lists keys in order with limit, next_cursor, prefix echoed and consistency echoed only when eventual", async () => {
    const id = await createStore("s");
    for (const key of ["apple", "banana", "batch-1", "batch-2", "carrot"]) await put(id, key, "v");
    const first = (await json(await h.call(`${P}/${id}/keys?limit=2&consistency=strong`))) as { data: string[]; meta: { next_cursor: string } };
    expect(first).toEqual({ data: ["apple", "banana"], meta: { limit: 2, next_cursor: Buffer.from("banana").toString("base64") } });
    const rest = await json(await h.call(`${P}/${id}/keys?limit=4&cursor=${encodeURIComponent(first.meta.next_cursor)}`));
    expect(rest).toEqual({ data: ["batch-1", "batch-2", "carrot"], meta: { limit: 4 } });
    expect(await json(await h.call(`${P}/${id}/keys?prefix=ba`))).toEqual({ data: ["banana", "batch-1", "batch-2"], meta: { limit: 1000, prefix: "ba" } });
    expect(await json(await h.call(`${P}/${id}/keys?consistency=eventual&prefix=c`))).toEqual({ data: ["carrot"], meta: { limit: 1000, prefix: "c", consistency: "eventual" } });
  });

  test("bad limit, consistency or cursor is 400", async () => {
    const id = await createStore("s");
    expect(await json(await h.call(`${P}/${id}/keys?limit=0`))).toEqual({ msg: "Bad Request", detail: "query parameter 'limit' must be a whole number from 1 to 9007199254740991, got '0'" });
    expect(await json(await h.call(`${P}/${id}/keys?consistency=weak`))).toEqual({ msg: "Bad Request", detail: "query parameter 'consistency' must be strong or eventual, got 'weak'" });
    expect(await json(await h.call(`${P}/${id}/keys?cursor=%25%25`))).toEqual({
      msg: "Bad Request",
      detail: "cursor '%%' is not one this server returned; pass meta.next_cursor from the previous page",
    });
  });
});

describe("Fastly batch", () => {
  const line = (item: Record<string, unknown>) => JSON.stringify(item);
  const b64 = (text: string) => Buffer.from(text).toString("base64");

  test("writes every line (each trimmed) and answers the recorded success body", async () => {
    const id = await createStore("s");
    const body = `${line({ key: "batch-1", value: b64("VALUE") })}\n    ${line({ key: "batch-2", value: b64("two"), metadata: "m", time_to_live_sec: 30, background_fetch: true })}\n`;
    const response = await h.call(`${P}/${id}/batch`, { method: "PUT", body, headers: { "content-type": "application/x-ndjson" } });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('{"type":"","title":"success","errors":[]}');
    const two = (await h.registry.store("s").inspect("batch-2"))!;
    expect([two.text, two.metadataText, two.expiresAt!.getTime()]).toEqual(["two", "m", h.clock.now() + 30_000]);
    expect(await h.registry.store("s").snapshot()).toEqual({ "batch-1": "VALUE", "batch-2": "two" });
  });

  test("a batch with bad lines is 400 naming each bad line's index and reason, and writes nothing", async () => {
    const id = await createStore("s");
    const body = [
      line({ key: "good", value: b64("x") }),
      "not json",
      line({ key: "a#b", value: b64("x") }),
      line({ key: "k3", value: "***" }),
      line({ key: "k4", value: b64("x"), add: true }),
      line({ key: "k5", value: b64("x"), metadata: "m".repeat(2001) }),
      line({ key: "k6", value: b64("x"), time_to_live_sec: -1 }),
    ].join("\n");
    const response = await h.call(`${P}/${id}/batch`, { method: "PUT", body });
    expect(response.status).toBe(400);
    expect(await json(response)).toEqual({
      type: "",
      title: "error at index: 1",
      errors: [
        { key: "", index: 1, code: "invalid_json", reason: "line 1 is not valid JSON" },
        { key: "a#b", index: 2, code: "invalid_key", reason: `invalid key "a#b": KVStore key can not contain # character` },
        { key: "k3", index: 3, code: "invalid_value", reason: `"value" is required and must be a base64 string` },
        { key: "k4", index: 4, code: "unknown_field", reason: `unknown field "add": a batch line takes key, value, metadata, time_to_live_sec and background_fetch` },
        { key: "k5", index: 5, code: "metadata_too_large", reason: `"metadata" is 2001 bytes; store 's' allows at most 2000 bytes` },
        { key: "k6", index: 6, code: "invalid_ttl", reason: `"time_to_live_sec" must be a whole number of seconds from 0 to 4294967295` },
      ],
    });
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });
});

describe("Fastly auth", () => {
  const locked = useServer({ token: "secret" });

  test("with a configured token, a missing or wrong Fastly-Key is 401 and the right one passes", async () => {
    const none = await locked.call(P);
    expect(none.status).toBe(401);
    expect(await json(none)).toEqual({ msg: "Unauthorized", detail: "Provided credentials are missing or invalid: send the server's token in the Fastly-Key header" });
    expect((await locked.call(P, { headers: { "fastly-key": "wrong" } })).status).toBe(401);
    expect((await locked.call(P, { headers: { "fastly-key": "secret" } })).status).toBe(200);
  });

  test("without a configured token any Fastly-Key (or none) is accepted", async () => {
    expect((await h.call(P, { headers: { "fastly-key": "whatever" } })).status).toBe(200);
    expect((await fetch(`${h.server.url}${P}`)).status).toBe(200);
  });

  test("the server binds 127.0.0.1 by default", () => {
    expect(h.server.host).toBe("127.0.0.1");
    expect(h.server.url).toBe(`http://127.0.0.1:${h.server.port}`);
  });
});
