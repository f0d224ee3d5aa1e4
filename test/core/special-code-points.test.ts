/**
 * Values and metadata that start with U+FEFF, or hold code points decoders treat specially, read
 * back exactly through KVStoreEntry (as the Compute runtime decodes them) and through the admin text
 * views (entries(), snapshot(), inspect()) and edge-kv/testing.
 *
 * The runtime: KVStoreEntry.text()/json() go through RequestOrResponse::parse_body and metadataText()
 * through core::decode, both JS_NewStringCopyUTF8N — a plain UTF-8 conversion that keeps a leading
 * U+FEFF and fails on malformed UTF-8 (js-compute-runtime runtime/fastly/builtins/kv-store.cpp,
 * runtime/fastly/builtins/fetch/request-response.cpp; StarlingMonkey runtime/decode.cpp).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { KVStore, resetRegistry, type KVRegistry } from "edge-kv";

let registry: KVRegistry;
beforeEach(() => {
  registry = resetRegistry();
  registry.defineStore("s");
});

const bytes = (...values: number[]) => new Uint8Array(values);
const BOM = [0xef, 0xbb, 0xbf];

describe("KVStoreEntry decodes as the runtime does", () => {
  it("text() and metadataText() keep a leading U+FEFF", async () => {
    const store = new KVStore("s");
    await store.put("k", "\uFEFFhello", { metadata: "\uFEFFmeta" });
    const entry = (await store.get("k"))!;
    expect(await entry.text()).toBe("\uFEFFhello");
    expect(entry.metadataText()).toBe("\uFEFFmeta");
    expect(Array.from(new Uint8Array(entry.metadata()!)).slice(0, 3)).toEqual(BOM);
  });

  it("json() of a value that starts with U+FEFF is a SyntaxError (JSON has no BOM)", async () => {
    const store = new KVStore("s");
    await store.put("k", "\uFEFF{}");
    await expect((await store.get("k"))!.json()).rejects.toBeInstanceOf(SyntaxError);
  });

  it("keeps non-characters, line separators, NUL and U+FFFD as they are", async () => {
    const store = new KVStore("s");
    const text = "\uFFFE\uFFFF\u2028\u2029\u0000\uFFFD\u0085\u00A0";
    await store.put("k", text, { metadata: text });
    const entry = (await store.get("k"))!;
    expect(await entry.text()).toBe(text);
    expect(entry.metadataText()).toBe(text);
  });

  it("rejects bytes that are not UTF-8 (an encoded lone surrogate) instead of replacing them", async () => {
    const store = new KVStore("s");
    await store.put("k", bytes(0x61, 0xed, 0xa0, 0x80), { metadata: bytes(0xff) });
    const entry = (await store.get("k"))!;
    expect(() => entry.metadataText()).toThrow(new TypeError("malformed UTF-8 character sequence at offset 0"));
    await expect(entry.text()).rejects.toThrow(new TypeError("malformed UTF-8 character sequence at offset 1"));
  });
});

describe("admin text views keep what was stored", () => {
  it("entries(), inspect() and snapshot() keep a leading U+FEFF in text and metadataText", async () => {
    const admin = registry.store("s");
    await admin.put("\uFEFFkey", "\uFEFFvalue", { metadata: "\uFEFFmeta" });
    const [entry] = await admin.entries();
    expect(entry).toMatchObject({ key: "\uFEFFkey", text: "\uFEFFvalue", metadataText: "\uFEFFmeta" });
    expect((await admin.inspect("\uFEFFkey"))!.text).toBe("\uFEFFvalue");
    expect(await admin.snapshot()).toEqual({ "\uFEFFkey": "\uFEFFvalue" });
  });

  it("text replaces bytes that are not UTF-8 by U+FFFD (documented: use value for bytes); metadataText is then null", async () => {
    const admin = registry.store("s");
    await admin.put("k", bytes(...BOM, 0x61, 0xff), { metadata: bytes(0xff) });
    const view = (await admin.inspect("k"))!;
    expect(view.text).toBe("\uFEFFa\uFFFD");
    expect(view.metadataText).toBeNull();
  });
});

describe("plugin configuration source (toSource: stores handed to the code under test as JavaScript)", () => {
  it("keeps keys and values with U+FEFF, U+2028/2029, lone surrogates and NUL exact", async () => {
    const { toSource } = await import("../../src/shim/config.js");
    const data = { "\uFEFFk": { value: "\u2028\u2029", metadata: "\uFEFF" }, "\u0000": new Uint8Array([0xef, 0xbb, 0xbf]), "\uD800": "\uDFFF" };
    expect(new Function(`return ${toSource(data)}`)()).toEqual(data);
  });
});
