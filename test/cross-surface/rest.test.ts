/**
 * Cross-surface round trips with adversarial keys, values and metadata (./pool.ts): what KVStore
 * writes, every REST dialect and the explorer API read back byte for byte — values, metadata, keys in
 * listings page by page — and what they write, KVStore reads back the same. Where a surface cannot
 * carry something (Telnyx's key alphabet, metadata that is not UTF-8), the answer is a clear error and
 * nothing is written.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { createServer, type RestServer } from "edge-kv/server";
import { ENTRIES, entryRows, isUtf8, type PoolEntry } from "./pool.js";

let server: RestServer;
let registry: KVRegistry;
const ids: Record<string, { fastly: string; apify: string; telnyx: string }> = {};
const STORES = ["source", "fastly", "explorer", "batch", "big"];

const bytesOf = async (response: Response) => [...new Uint8Array(await response.arrayBuffer())];
const call = (path: string, init?: RequestInit) => fetch(`${server.url}${path}`, init);
const utf8Text = (bytes: Uint8Array) => new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
const label = (entry: PoolEntry) => JSON.stringify(entry.key).slice(0, 40);

beforeAll(async () => {
  registry = new KVRegistry();
  setRegistry(registry);
  for (const name of STORES) registry.defineStore(name, { maxMetadataBytes: 2000 });
  server = await createServer({ registry });
  for (const { id, name } of (await (await call("/resources/stores/kv")).json()).data) ids[name] = { fastly: id, apify: "", telnyx: "" };
  for (const name of STORES) ids[name]!.apify = (await (await call(`/v2/key-value-stores?name=${name}`, { method: "POST" })).json()).data.id;
  for (const { id, name } of (await (await call("/v2/storage/kvs?page[size]=250")).json()).data) ids[name]!.telnyx = id;
  const store = new KVStore("source");
  for (const entry of ENTRIES) await store.put(entry.key, entry.value, entry.metadata === null ? {} : { metadata: entry.metadata });
});
afterAll(async () => {
  await server.close();
});

/** Every page of a listing, following `next(page)` until it answers null. */
async function allPages<T>(first: string, read: (body: any) => { items: T[]; next: string | null }, url: (next: string) => string): Promise<T[]> {
  const out: T[] = [];
  let path: string | null = first;
  while (path !== null) {
    const response = await call(path);
    expect(response.status).toBe(200);
    const { items, next } = read(await response.json());
    out.push(...items);
    path = next === null ? null : url(encodeURIComponent(next));
  }
  return out;
}

const sourceKeys = async () => (await registry.store("source").entries()).map((entry) => entry.key);

describe("what KVStore wrote, every surface reads byte for byte", () => {
  it("Fastly dialect: value, metadata header (base64 when a header cannot carry it), key pages and prefixes", async () => {
    const id = ids.source!.fastly;
    for (const entry of ENTRIES) {
      const response = await call(`/resources/stores/kv/${id}/keys/${encodeURIComponent(entry.key)}`);
      expect(response.status, label(entry)).toBe(200);
      expect(await bytesOf(response), label(entry)).toEqual([...entry.value]);
      const header = response.headers.get("metadata")!;
      const metadata = response.headers.get("metadata-encoding") === "base64" ? Buffer.from(header, "base64") : Buffer.from(header, "latin1");
      expect([...metadata], label(entry)).toEqual(entry.metadata === null ? [] : [...entry.metadata]);
    }
    const base = `/resources/stores/kv/${id}/keys?limit=7`;
    expect(await allPages(base, (body) => ({ items: body.data, next: body.meta.next_cursor ?? null }), (cursor) => `${base}&cursor=${cursor}`)).toEqual(await sourceKeys());
    for (const entry of ENTRIES) {
      const { data } = await (await call(`/resources/stores/kv/${id}/keys?prefix=${encodeURIComponent(entry.key)}`)).json();
      expect(data, label(entry)).toContain(entry.key);
      expect(data.filter((key: string) => !key.startsWith(entry.key)), label(entry)).toEqual([]);
    }
  });

  it("Apify dialect: value and key pages; Telnyx: value and key pages, its key alphabet refused with a clear 400", async () => {
    const { apify, telnyx } = ids.source!;
    for (const entry of ENTRIES) {
      const a = await call(`/v2/key-value-stores/${apify}/records/${encodeURIComponent(entry.key)}`);
      expect([a.status, await bytesOf(a)], label(entry)).toEqual([200, [...entry.value]]);
      const t = await call(`/v2/storage/kvs/${telnyx}/keys/${encodeURIComponent(entry.key)}`);
      if (/^[-/_=.a-zA-Z0-9]+$/.test(entry.key) && !entry.key.startsWith("_") && entry.key.length <= 256) {
        expect([t.status, await bytesOf(t)], label(entry)).toEqual([200, [...entry.value]]);
      } else {
        expect(t.status, label(entry)).toBe(400);
        expect((await t.json()).errors[0].detail, label(entry)).toMatch(/^invalid key .*: the key (may only contain letters, digits and - \/ _ = \.|starts with '_', which is reserved|is \d+ characters; the limit is 256)$/s);
      }
    }
    const keys = await sourceKeys();
    const apifyBase = `/v2/key-value-stores/${apify}/keys?limit=7`;
    expect(await allPages(apifyBase, (body) => ({ items: body.data.items.map((item: { key: string }) => item.key), next: body.data.nextExclusiveStartKey }), (start) => `${apifyBase}&exclusiveStartKey=${start}`)).toEqual(keys);
    const telnyxBase = `/v2/storage/kvs/${telnyx}/keys?limit=7`;
    expect(await allPages(telnyxBase, (body) => ({ items: body.data.map((item: { key: string }) => item.key), next: body.meta.cursor }), (cursor) => `${telnyxBase}&cursor=${cursor}`)).toEqual(keys);
  });

  it("explorer API: entries (metadata as text, or base64 when not UTF-8), key pages; the export names the key whose metadata it cannot carry", async () => {
    for (const entry of ENTRIES) {
      const response = await call(`/_edge-kv/api/stores/source/entries/${encodeURIComponent(entry.key)}`);
      expect(response.status, label(entry)).toBe(200);
      const body = await response.json();
      expect(body.key, label(entry)).toBe(entry.key);
      expect([...Buffer.from(body.value, "base64")], label(entry)).toEqual([...entry.value]);
      const metadata = body.metadata !== null ? Buffer.from(body.metadata, "utf8") : body.metadataBase64 !== null ? Buffer.from(body.metadataBase64, "base64") : null;
      expect(metadata && [...metadata], label(entry)).toEqual(entry.metadata && [...entry.metadata]);
    }
    const base = "/_edge-kv/api/stores/source/keys?limit=7";
    expect(await allPages(base, (body) => ({ items: body.items.map((item: { key: string }) => item.key), next: body.cursor }), (cursor) => `${base}&cursor=${cursor}`)).toEqual(await sourceKeys());
    const firstBinary = (await registry.store("source").entries()).find((entry) => entry.metadata !== null && !isUtf8(entry.metadata))!;
    const exported = await call("/_edge-kv/api/stores/source/export");
    expect([exported.status, await exported.json()]).toEqual([
      400,
      { error: `edge-kv: store 'source', key ${JSON.stringify(firstBinary.key)}: its metadata is not UTF-8 text, which the batch format cannot carry` },
    ]);
  });
});

describe("what a surface writes, KVStore reads byte for byte", () => {
  it("Fastly PUT: metadata in the header, or base64 (Metadata-Encoding) when a header cannot carry it; metadata that is not UTF-8 is a 400 that writes nothing", async () => {
    const id = ids.fastly!.fastly;
    for (const entry of ENTRIES) {
      const headers: Record<string, string> = {};
      if (entry.metadata !== null) {
        const plain = entry.metadata.every((byte) => byte >= 0x20 && byte !== 0x7f) && entry.metadata[0] !== 0x20 && entry.metadata.at(-1) !== 0x20;
        if (plain) headers.metadata = Buffer.from(entry.metadata).toString("latin1");
        else Object.assign(headers, { metadata: Buffer.from(entry.metadata).toString("base64"), "metadata-encoding": "base64" });
      }
      const response = await call(`/resources/stores/kv/${id}/keys/${encodeURIComponent(entry.key)}`, { method: "PUT", body: entry.value as Uint8Array<ArrayBuffer>, headers });
      if (entry.metadata === null || isUtf8(entry.metadata)) expect(response.status, label(entry)).toBe(200);
      else expect([response.status, (await response.json()).detail], label(entry)).toEqual([400, expect.stringMatching(/^header 'metadata'( \(base64-decoded\))? must be UTF-8 text$/)]);
    }
    expect(await entryRows(registry.store("fastly"))).toEqual(entryRows(ENTRIES.filter((entry) => entry.metadata === null || isUtf8(entry.metadata))));
  });

  it("explorer PUT and the Fastly batch endpoint", async () => {
    const utf8Entries = ENTRIES.filter((entry) => entry.metadata === null || isUtf8(entry.metadata));
    for (const entry of utf8Entries) {
      const body = { value: Buffer.from(entry.value).toString("base64"), metadata: entry.metadata && utf8Text(entry.metadata) };
      const response = await call(`/_edge-kv/api/stores/explorer/entries/${encodeURIComponent(entry.key)}`, { method: "PUT", body: JSON.stringify(body) });
      expect(response.status, label(entry)).toBe(200);
    }
    expect(await entryRows(registry.store("explorer"))).toEqual(entryRows(utf8Entries));
    const lines = utf8Entries.map((entry) => JSON.stringify({ key: entry.key, value: Buffer.from(entry.value).toString("base64"), ...(entry.metadata && { metadata: utf8Text(entry.metadata) }) }));
    const response = await call(`/resources/stores/kv/${ids.batch!.fastly}/batch`, { method: "PUT", body: lines.join("\n") });
    expect(response.status).toBe(200);
    expect(await entryRows(registry.store("batch"))).toEqual(entryRows(utf8Entries));
  });

  it("values of 0 bytes and of 25 MiB (the REST limit) go both ways; 30 MiB written by KVStore is read; 25 MiB + 1 is a 413 that writes nothing", { timeout: 60_000 }, async () => {
    const id = ids.big!.fastly;
    const url = (key: string) => `/resources/stores/kv/${id}/keys/${key}`;
    const rest = new Uint8Array(25 * 1024 * 1024);
    for (let i = 0; i < 256; i++) rest[i] = (i * 7) & 0xff;
    for (let filled = 256; filled < rest.byteLength; filled *= 2) rest.copyWithin(filled, 0, filled);
    expect((await call(url("empty"), { method: "PUT", body: new Uint8Array(0) })).status).toBe(200);
    expect((await call(url("rest"), { method: "PUT", body: rest })).status).toBe(200);
    const tooBig = await call(url("too-big"), { method: "PUT", body: new Uint8Array(rest.byteLength + 1) });
    expect(tooBig.status).toBe(413);
    await new KVStore("big").put("js", new Uint8Array(30 * 1024 * 1024).fill(0xa5));
    const empty = await call(url("empty"));
    expect([empty.status, empty.headers.get("stored-content-length"), (await empty.arrayBuffer()).byteLength]).toEqual([200, "0", 0]);
    expect(Buffer.compare(Buffer.from(await (await call(url("rest"))).arrayBuffer()), Buffer.from(rest))).toBe(0);
    const js = Buffer.from(await (await call(url("js"))).arrayBuffer());
    expect([js.byteLength, js.every((byte) => byte === 0xa5)]).toEqual([30 * 1024 * 1024, true]);
    expect((await (await new KVStore("big").get("empty"))!.arrayBuffer()).byteLength).toBe(0);
    expect((await registry.store("big").entries()).map((entry) => entry.key)).toEqual(["empty", "js", "rest"]);
  });
});
