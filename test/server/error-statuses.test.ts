/**
 * The remaining error statuses of every endpoint, each with its exact body, and proof that nothing
 * was written. (The common ones are in fastly.test.ts, apify-client.test.ts and telnyx-client.test.ts.)
 */
import { describe, expect, test } from "vitest";
import { json, useServer } from "./helpers.js";

const h = useServer();
const F = "/resources/stores/kv";
const A = "/v2/key-value-stores";
const T = "/v2/storage/kvs";

async function fastlyStore(name: string): Promise<string> {
  return ((await json(await h.call(F, { method: "POST", body: JSON.stringify({ name }) }))) as { id: string }).id;
}
async function apifyStore(name: string): Promise<string> {
  return ((await json(await h.call(`${A}?name=${name}`, { method: "POST" }))) as { data: { id: string } }).data.id;
}
async function telnyxNamespace(name: string): Promise<string> {
  return ((await json(await h.call(T, { method: "POST", body: JSON.stringify({ name }) }))) as { data: { id: string } }).data.id;
}
async function expectError(response: Response, status: number, body: unknown): Promise<void> {
  expect(response.status).toBe(status);
  expect(await json(response)).toEqual(body);
}

describe("Fastly endpoint errors", () => {
  test("rename to a taken name is 409 and to a bad name 400; both keep the store as it was", async () => {
    const id = await fastlyStore("a");
    await fastlyStore("b");
    await expectError(await h.call(`${F}/${id}`, { method: "PUT", body: JSON.stringify({ name: "b" }) }), 409, {
      msg: "Conflict",
      detail: "a store named 'b' already exists; pick another name",
    });
    await expectError(await h.call(`${F}/${id}`, { method: "PUT", body: JSON.stringify({ name: "x\u0001" }) }), 400, {
      msg: "Bad Request",
      detail: 'invalid store name "x\\u0001": name can not contain control characters (\\u0000-\\u001F)',
    });
    expect(h.registry.storeNames().sort()).toEqual(["a", "b"]);
  });

  test("every item and batch endpoint of an unknown store id is 404", async () => {
    const detail = "Couldn't find KV store 'zzz'. List stores with GET /resources/stores/kv to see their ids";
    for (const [method, path] of [
      ["PUT", `${F}/zzz`],
      ["DELETE", `${F}/zzz`],
      ["GET", `${F}/zzz/keys`],
      ["GET", `${F}/zzz/keys/k`],
      ["PUT", `${F}/zzz/keys/k`],
      ["DELETE", `${F}/zzz/keys/k`],
      ["PUT", `${F}/zzz/batch`],
    ] as const) {
      await expectError(await h.call(path, { method, ...(method === "PUT" && { body: "{}" }) }), 404, { msg: "Record not found", detail });
    }
  });

  test("a store list with a bad limit or cursor is 400", async () => {
    await expectError(await h.call(`${F}?limit=5000`), 400, { msg: "Bad Request", detail: "query parameter 'limit' must be a whole number from 1 to 1000, got '5000'" });
    await expectError(await h.call(`${F}?cursor=***`), 400, {
      msg: "Bad Request",
      detail: "cursor '***' is not one this server returned; pass meta.next_cursor from the previous page",
    });
  });

  test("a batch line with a value over the limit or a non-boolean background_fetch is reported by index", async () => {
    const id = await fastlyStore("s");
    const body = [JSON.stringify({ key: "a", value: "eA==", background_fetch: "yes" }), JSON.stringify({ key: "b", metadata: 5, value: "eA==" })].join("\n");
    await expectError(await h.call(`${F}/${id}/batch`, { method: "PUT", body }), 400, {
      type: "",
      title: "error at index: 0",
      errors: [
        { key: "a", index: 0, code: "invalid_background_fetch", reason: '"background_fetch" must be true or false' },
        { key: "b", index: 1, code: "invalid_metadata", reason: '"metadata" must be a string' },
      ],
    });
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });

  test("a bad percent-encoding in a key is 400", async () => {
    const id = await fastlyStore("s");
    await expectError(await h.call(`${F}/${id}/keys/%E0%A4%A`, { method: "PUT", body: "x" }), 400, {
      msg: "Bad Request",
      detail: "key '%E0%A4%A' is not valid percent-encoding (encode it with encodeURIComponent)",
    });
  });
});

describe("body size limits", () => {
  const small = useServer({ limits: { maxBatchBytes: 64, maxApifyRecordBytes: 40 } });

  test("a batch body over the limit is 413 and writes nothing", async () => {
    const id = ((await json(await small.call(F, { method: "POST", body: JSON.stringify({ name: "s" }) }))) as { id: string }).id;
    const body = Array.from({ length: 4 }, (_, i) => JSON.stringify({ key: `k${i}`, value: "eA==" })).join("\n");
    await expectError(await small.call(`${F}/${id}/batch`, { method: "PUT", body }), 413, {
      msg: "Payload Too Large",
      detail: `the batch body is ${body.length} bytes; the limit is 64 bytes`,
    });
    expect(await small.registry.store("s").snapshot()).toEqual({});
  });

  test("a JSON body over 1 MiB is 413", async () => {
    const body = JSON.stringify({ name: "x".repeat(1024 * 1024) });
    await expectError(await small.call(F, { method: "POST", body }), 413, {
      msg: "Payload Too Large",
      detail: `the JSON body is ${body.length} bytes; the limit is 1048576 bytes`,
    });
  });

  test("a compressed record that decodes to more than the limit is 413", async () => {
    const id = ((await json(await small.call(`${A}?name=z`, { method: "POST" }))) as { data: { id: string } }).data.id;
    const { gzipSync } = await import("node:zlib");
    await expectError(await small.call(`${A}/${id}/records/k`, { method: "PUT", body: gzipSync("x".repeat(1000)), headers: { "content-encoding": "gzip" } }), 413, {
      error: { type: "request-too-large", message: "the value is more than 40 bytes once decoded (gzip); the limit is 40 bytes" },
    });
    expect(await small.registry.store("z").snapshot()).toEqual({});
  });
});

describe("Apify endpoint errors", () => {
  test("update with a taken name is 409 record-duplicate; a bad generalAccess or title is 400", async () => {
    const id = await apifyStore("one");
    await apifyStore("two");
    await expectError(await h.call(`${A}/${id}`, { method: "PUT", body: JSON.stringify({ name: "two" }) }), 409, {
      error: { type: "record-duplicate", message: "a store named 'two' already exists; pick another name" },
    });
    await expectError(await h.call(`${A}/${id}`, { method: "PUT", body: JSON.stringify({ generalAccess: "EVERYONE" }) }), 400, {
      error: {
        type: "invalid-parameter",
        message: '"generalAccess" must be one of ANYONE_WITH_ID_CAN_READ, ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED',
      },
    });
    await expectError(await h.call(`${A}/${id}`, { method: "PUT", body: JSON.stringify({ title: 5 }) }), 400, {
      error: { type: "invalid-parameter", message: '"title" must be a string or null' },
    });
  });

  test("keys and list with a bad limit are 400; an unsupported method is 405", async () => {
    const id = await apifyStore("one");
    await expectError(await h.call(`${A}/${id}/keys?limit=0`), 400, {
      error: { type: "invalid-parameter", message: "query parameter 'limit' must be a whole number from 1 to 1000, got '0'" },
    });
    await expectError(await h.call(`${A}?desc=maybe`), 400, { error: { type: "invalid-parameter", message: "query parameter 'desc' must be true/false or 1/0, got 'maybe'" } });
    await expectError(await h.call(`${A}/${id}/keys`, { method: "DELETE" }), 405, { error: { type: "method-not-allowed", message: "DELETE is not supported on this endpoint" } });
  });

  test("get, HEAD and PUT of a record in an unknown store are 404", async () => {
    await expectError(await h.call(`${A}/nope/records/k`, { method: "PUT", body: "x" }), 404, {
      error: { type: "record-not-found", message: "Key-value store 'nope' was not found: use its id, or username~name" },
    });
    expect((await h.call(`${A}/nope/records/k`, { method: "HEAD" })).status).toBe(404);
  });
});

describe("Telnyx endpoint errors", () => {
  test("deleting an unknown namespace is 404; a bad list cursor is 400; an unsupported method is 405", async () => {
    const unknown = "00000000-0000-4000-8000-000000000000";
    const missing = await h.call(`${T}/${unknown}`, { method: "DELETE" });
    expect(missing.status).toBe(404);
    const id = await telnyxNamespace("ns");
    await expectError(await h.call(`${T}/${id}/keys?cursor=%25`), 400, {
      errors: [
        {
          code: "10015",
          title: "Bad Request",
          detail: "cursor '%' is not one this server returned; pass meta.cursor from the previous page",
          source: { parameter: "cursor" },
          meta: { url: "https://developers.telnyx.com/api/errors/10015" },
        },
      ],
    });
    await expectError(await h.call(`${T}/${id}`, { method: "PUT", body: "{}" }), 405, {
      errors: [{ code: "10015", title: "Method not allowed", detail: "PUT is not supported on this endpoint", meta: { url: "https://developers.telnyx.com/api/errors/10015" } }],
    });
  });

  test("creating a namespace whose name is taken is 409", async () => {
    await telnyxNamespace("ns");
    await expectError(await h.call(T, { method: "POST", body: JSON.stringify({ name: "ns" }) }), 409, {
      errors: [
        {
          code: "10015",
          title: "Conflict",
          detail: "a store named 'ns' already exists; pick another name or use the existing store",
          meta: { url: "https://developers.telnyx.com/api/errors/10015" },
        },
      ],
    });
  });

  test("keys of a deleted namespace are 404", async () => {
    const id = await telnyxNamespace("ns");
    await h.call(`${T}/${id}`, { method: "DELETE" });
    const response = await h.call(`${T}/${id}/keys/k`, { method: "PUT", body: "x" });
    expect(response.status).toBe(404);
    expect(h.registry.hasStore("ns")).toBe(false);
  });
});
