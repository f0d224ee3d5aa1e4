/**
 * Keys, metadata and store names through the REST dialects, byte for byte: a leading U+FEFF (which a
 * default TextDecoder drops) stays, and bytes that are not UTF-8 are a 400 saying so — never a
 * silent U+FFFD in a stored key, metadata or store name.
 */
import { describe, expect, test } from "vitest";
import { KVStore } from "edge-kv";
import { json, useServer } from "./helpers.js";

const h = useServer({}, { "fastly-key": "any-token" });
const P = "/resources/stores/kv";
const utf8 = (text: string) => new TextEncoder().encode(text);
const concat = (...parts: (string | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(utf8(part)) : Buffer.from(part))));

async function createStore(name: string): Promise<string> {
  const response = await h.call(P, { method: "POST", body: JSON.stringify({ name }) });
  expect(response.status).toBe(201);
  return ((await json(response)) as { id: string }).id;
}

describe("REST: code points decoders treat specially", () => {
  test("a key starting with U+FEFF round-trips through the path, list and batch, apart from the key without it", async () => {
    const id = await createStore("s");
    expect((await h.call(`${P}/${id}/keys/bom`, { method: "PUT", body: "plain" })).status).toBe(200);
    expect((await h.call(`${P}/${id}/keys/${encodeURIComponent("\uFEFFbom")}`, { method: "PUT", body: "with-bom" })).status).toBe(200);
    const batch = `{"key":"\uFEFFbatch","value":"${btoa("b")}","metadata":"\uFEFFm"}\n`;
    expect((await h.call(`${P}/${id}/batch`, { method: "PUT", body: batch })).status).toBe(200);
    expect(await (await h.call(`${P}/${id}/keys/${encodeURIComponent("\uFEFFbom")}`)).text()).toBe("with-bom");
    const listed = JSON.parse(Buffer.from(await (await h.call(`${P}/${id}/keys?prefix=${encodeURIComponent("\uFEFF")}`)).arrayBuffer()).toString("utf8"));
    expect(listed.data).toEqual(["\uFEFFbatch", "\uFEFFbom"]);
    expect(await h.registry.store("s").snapshot()).toEqual({ bom: "plain", "\uFEFFbom": "with-bom", "\uFEFFbatch": "b" });
    expect((await new KVStore("s").get("\uFEFFbatch"))!.metadataText()).toBe("\uFEFFm");
  });

  test("a batch body may start with a byte order mark (it is outside every JSON string)", async () => {
    const id = await createStore("s");
    const response = await h.call(`${P}/${id}/batch`, { method: "PUT", body: concat([0xef, 0xbb, 0xbf], `{"key":"k","value":"${btoa("v")}"}\n`) });
    expect(response.status).toBe(200);
    expect(await h.registry.store("s").snapshot()).toEqual({ k: "v" });
  });

  test("a batch whose key or metadata bytes are not UTF-8 is a 400 and writes nothing", async () => {
    const id = await createStore("s");
    for (const body of [concat(`{"key":"a`, [0xff], `","value":"${btoa("v")}"}\n`), concat(`{"key":"ok","value":"${btoa("v")}","metadata":"`, [0xc3], `"}\n`)]) {
      const response = await h.call(`${P}/${id}/batch`, { method: "PUT", body });
      expect(response.status).toBe(400);
      expect(await json(response)).toEqual({ msg: "Bad Request", detail: expect.stringMatching(/^the batch body is not valid UTF-8 \(byte \d+\): send UTF-8 text$/) });
    }
    expect(await h.registry.store("s").snapshot()).toEqual({});
  });

  test("a store name whose bytes are not UTF-8 is a 400 and creates nothing (Fastly and Apify)", async () => {
    const fastly = await h.call(P, { method: "POST", body: concat(`{"name":"a`, [0xff], `"}`) });
    expect(fastly.status).toBe(400);
    expect(await json(fastly)).toEqual({ msg: "Bad Request", detail: "the JSON body is not valid UTF-8 (byte 10): send UTF-8 text" });
    const apify = await h.call("/v2/key-value-stores?name=a%FF", { method: "POST" });
    expect(apify.status).toBe(400);
    expect(await json(apify)).toEqual({ error: { type: "invalid-parameter", message: "query parameter 'name' is not valid UTF-8 once percent-decoded ('a%FF'): percent-encode the UTF-8 bytes of the text" } });
    expect(h.registry.storeNames()).toEqual([]);
  });

  test("a list prefix whose percent-encoded bytes are not UTF-8 is a 400, not a prefix of U+FFFD", async () => {
    const id = await createStore("s");
    await new KVStore("s").put("\uFFFDx", "1");
    const response = await h.call(`${P}/${id}/keys?prefix=%FF`);
    expect(response.status).toBe(400);
    expect(((await json(response)) as { detail: string }).detail).toBe("query parameter 'prefix' is not valid UTF-8 once percent-decoded ('%FF'): percent-encode the UTF-8 bytes of the text");
    // A literal '%' that starts no escape stays accepted, as URLSearchParams reads it.
    expect((await h.call(`${P}/${id}/keys?prefix=100%`)).status).toBe(200);
  });

  test("metadata starting with U+FEFF travels in the metadata header byte for byte", async () => {
    const id = await createStore("s");
    const header = Buffer.from(utf8("\uFEFFm")).toString("latin1");
    expect((await h.call(`${P}/${id}/keys/k`, { method: "PUT", body: "v", headers: { metadata: header } })).status).toBe(200);
    expect((await new KVStore("s").get("k"))!.metadataText()).toBe("\uFEFFm");
    const got = await h.call(`${P}/${id}/keys/k`);
    expect(Array.from(Buffer.from(got.headers.get("metadata")!, "latin1"))).toEqual(Array.from(utf8("\uFEFFm")));
  });
});
