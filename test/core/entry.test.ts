import { describe, expect, it } from "vitest";
import { KVStoreEntry } from "edge-kv";
import { expectRejection, expectSyncThrow, freshStore } from "./helpers.js";

async function entryFor(value: string | Uint8Array, metadata?: string | Uint8Array) {
  const { store } = freshStore();
  await store.put("k", value, metadata === undefined ? {} : { metadata });
  return (await store.get("k"))!;
}

describe("KVStoreEntry", () => {
  it("throws Error \"KVStoreEntry can't be instantiated directly\" when constructed by users", () => {
    expectSyncThrow(() => new (KVStoreEntry as unknown as new () => unknown)(), Error, "KVStoreEntry can't be instantiated directly");
  });

  it("is what get() resolves to", async () => {
    expect(await entryFor("v")).toBeInstanceOf(KVStoreEntry);
  });

  it("text() decodes UTF-8 and flips bodyUsed", async () => {
    const entry = await entryFor("héllo");
    expect(entry.bodyUsed).toBe(false);
    expect(await entry.text()).toBe("héllo");
    expect(entry.bodyUsed).toBe(true);
  });

  it("rejects a second consumption with plain Error 'Body has already been consumed'", async () => {
    const entry = await entryFor("v");
    await entry.text();
    await expectRejection(() => entry.text(), Error, "Body has already been consumed");
    await expectRejection(() => entry.json(), Error, "Body has already been consumed");
    await expectRejection(() => entry.arrayBuffer(), Error, "Body has already been consumed");
  });

  it("text() rejects invalid UTF-8 with a TypeError naming the offset, instead of substituting U+FFFD", async () => {
    const entry = await entryFor(new Uint8Array([0x61, 0x62, 0xff, 0x63]));
    await expectRejection(() => entry.text(), TypeError, "malformed UTF-8 character sequence at offset 2");
  });

  it("text(), json() and metadataText() fail on bytes that are not UTF-8 exactly as the runtime's decoder does", async () => {
    // Every row as Fastly's runtime answered it (edge-kv/wasm, test/wasm/fuzz-differential.test.ts):
    // a lead byte at the end, or good bytes two or more short, is SpiderMonkey's InternalError.
    const rows: [number[], string][] = [
    [[0xc2], "InternalError: buffer too small"],
    [[0xc2, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xc2], "InternalError: buffer too small"],
    [[0xe2], "InternalError: buffer too small"],
    [[0xe2, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xe2], "InternalError: buffer too small"],
    [[0xe2, 0x82], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xe2, 0x82, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xe2, 0x82], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xe0], "InternalError: buffer too small"],
    [[0xe0, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xe0], "InternalError: buffer too small"],
    [[0xe0, 0xa0], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xe0, 0xa0, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xe0, 0xa0], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xed], "InternalError: buffer too small"],
    [[0xed, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xed], "InternalError: buffer too small"],
    [[0xed, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xed, 0x80, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xed, 0x80], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xf0], "InternalError: buffer too small"],
    [[0xf0, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf0], "InternalError: buffer too small"],
    [[0xf0, 0x9f], "InternalError: buffer too small"],
    [[0xf0, 0x9f, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf0, 0x9f], "InternalError: buffer too small"],
    [[0xf0, 0x9f, 0x98], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf0, 0x9f, 0x98, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf0, 0x9f, 0x98], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xf1], "InternalError: buffer too small"],
    [[0xf1, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf1], "InternalError: buffer too small"],
    [[0xf1, 0x80], "InternalError: buffer too small"],
    [[0xf1, 0x80, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf1, 0x80], "InternalError: buffer too small"],
    [[0xf1, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf1, 0x80, 0x80, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf1, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xf4], "InternalError: buffer too small"],
    [[0xf4, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf4], "InternalError: buffer too small"],
    [[0xf4, 0x8f], "InternalError: buffer too small"],
    [[0xf4, 0x8f, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf4, 0x8f], "InternalError: buffer too small"],
    [[0xf4, 0x8f, 0xbf], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf4, 0x8f, 0xbf, 0x61], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0x62, 0x63, 0xf4, 0x8f, 0xbf], "TypeError: malformed UTF-8 character sequence at offset 3"],
    [[0xc0, 0x80], "TypeError: UTF-8 character 0xffffffff too large"],
    [[0xc1, 0x80], "TypeError: UTF-8 character 0xffffffff too large"],
    [[0xc0], "InternalError: buffer too small"],
    [[0xc1], "InternalError: buffer too small"],
    [[0xf5], "InternalError: buffer too small"],
    [[0xf5, 0x80], "InternalError: buffer too small"],
    [[0xf5, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf5, 0x80, 0x80, 0x80], "TypeError: UTF-8 character 0x140000 too large"],
    [[0xf7, 0xbf, 0xbf, 0xbf], "TypeError: UTF-8 character 0x1fffff too large"],
    [[0xe0, 0x9f], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xe0, 0x9f, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xed, 0xa0], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xed, 0xa0, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf0, 0x8f], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf4, 0x90], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf4, 0x90, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0x61, 0xbf], "TypeError: malformed UTF-8 character sequence at offset 1"],
    [[0xf8], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xfe], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xff], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xc3, 0x00], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xc3, 0xc3, 0xa9], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xe2, 0x82, 0xac, 0xc3], "InternalError: buffer too small"],
    [[0xc2, 0x80, 0xc2], "InternalError: buffer too small"],
    [[0xef, 0xbb, 0xbf, 0xc3], "InternalError: buffer too small"],
    [[0xe0, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xf0, 0x80, 0x80, 0x80], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xc3, 0x28], "TypeError: malformed UTF-8 character sequence at offset 0"],
    [[0xe2, 0x28, 0xa1], "TypeError: malformed UTF-8 character sequence at offset 0"],
    ];
    const { store } = freshStore();
    for (const [bytes, expected] of rows) {
      await store.put("k", new Uint8Array(bytes), { metadata: new Uint8Array(bytes) });
      const entry = (await store.get("k"))!;
      const [name, message] = [expected.slice(0, expected.indexOf(": ")), expected.slice(expected.indexOf(": ") + 2)];
      const describe = (error: unknown) => `${(error as Error).name}: ${(error as Error).message}`;
      expect(describe(await entry.text().catch((error: unknown) => error)), JSON.stringify(bytes)).toBe(expected);
      let thrown: unknown;
      try {
        entry.metadataText();
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(bytes)).toBeInstanceOf(name === "TypeError" ? TypeError : Error);
      expect(describe(thrown), JSON.stringify(bytes)).toBe(`${name}: ${message}`);
    }
  });

  it("json() parses the body and rejects invalid JSON with a SyntaxError", async () => {
    expect(await (await entryFor('{"a":[1,2]}')).json()).toEqual({ a: [1, 2] });
    expect(await (await entryFor("42")).json()).toBe(42);
    const bad = await entryFor("{}x");
    await expect(bad.json()).rejects.toBeInstanceOf(SyntaxError);
  });

  it("arrayBuffer() resolves a fresh ArrayBuffer of the value", async () => {
    const entry = await entryFor(new Uint8Array([1, 2, 3]));
    const buffer = await entry.arrayBuffer();
    expect(buffer).toBeInstanceOf(ArrayBuffer);
    expect(Array.from(new Uint8Array(buffer))).toEqual([1, 2, 3]);
    new Uint8Array(buffer)[0] = 9;
    const { store } = freshStore();
    await store.put("k", new Uint8Array([1, 2, 3]));
    const first = await (await store.get("k"))!.arrayBuffer();
    new Uint8Array(first)[0] = 9;
    expect(Array.from(new Uint8Array(await (await store.get("k"))!.arrayBuffer()))).toEqual([1, 2, 3]);
  });

  it("body is a ReadableStream of the value, the same object on every access, present for an empty value", async () => {
    const entry = await entryFor("streamed");
    const body = entry.body;
    expect(body).toBeInstanceOf(ReadableStream);
    expect(entry.body).toBe(body);
    expect(await new Response(body).text()).toBe("streamed");
    const empty = await entryFor("");
    expect(await new Response(empty.body).text()).toBe("");
  });

  it("reading body does not flip bodyUsed, but a later text() rejects with the locked-stream TypeError", async () => {
    const entry = await entryFor("v");
    await new Response(entry.body).text();
    expect(entry.bodyUsed).toBe(false);
    await expectRejection(() => entry.text(), TypeError, "Can't use a ReadableStream that's locked or has ever been read from or canceled");
    expect(entry.bodyUsed).toBe(true);
  });

  it("once its body is put into a store, the entry's body handle is gone: reads and a second put fail as in the runtime", async () => {
    // The runtime hands the body handle to the store, which takes it (test/wasm/fuzz-differential.test.ts).
    const { store } = freshStore();
    await store.put("k", "v");
    const entry = (await store.get("k"))!;
    await store.put("copy", entry.body);
    expect(entry.bodyUsed).toBe(false);
    await expectRejection(() => store.put("again", entry.body), Error, "put: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n");
    await expectRejection(() => entry.json(), Error, "read_from_handle_all: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n");
    expect(entry.bodyUsed).toBe(true);
    await expectRejection(() => entry.text(), Error, "Body has already been consumed");
    const other = (await store.get("k"))!;
    await store.put("copy2", other.body);
    await expectRejection(() => other.arrayBuffer(), Error, "read_from_handle_all: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n");
    expect(await (await store.get("copy"))!.text()).toBe("v");
    expect(await store.get("again")).toBeNull();
  });

  it("a put that refuses its metadata leaves the entry's body with it: still readable", async () => {
    const { store } = freshStore();
    await store.put("k", "v");
    const entry = (await store.get("k"))!;
    await expectRejection(() => store.put("copy", entry.body, { metadata: null as never }), TypeError, "KVStore.put metadata: bytes must be an ArrayBuffer or ArrayBufferView object");
    expect(await entry.text()).toBe("v");
    expect(await store.get("copy")).toBeNull();
  });

  it("text() after only touching body (not reading it) reads the value through the stream", async () => {
    const entry = await entryFor("via stream");
    void entry.body;
    expect(await entry.text()).toBe("via stream");
  });

  it("metadata() returns a Uint8Array, the same object every call, or null when absent or empty", async () => {
    const entry = await entryFor("v", new Uint8Array([42]));
    const metadata = entry.metadata() as unknown as Uint8Array;
    expect(metadata).toBeInstanceOf(Uint8Array);
    expect(metadata[0]).toBe(42);
    expect(metadata.byteLength).toBe(1);
    expect(entry.metadata()).toBe(metadata);
    metadata[0] = 7;
    expect((entry.metadata() as unknown as Uint8Array)[0]).toBe(7);
    expect((await entryFor("v")).metadata()).toBeNull();
    expect((await entryFor("v", "")).metadata()).toBeNull();
  });

  it("mutating metadata() does not change what the store holds", async () => {
    const { store } = freshStore();
    await store.put("k", "v", { metadata: "abc" });
    const first = (await store.get("k"))!;
    (first.metadata() as unknown as Uint8Array)[0] = 0x7a;
    expect((await store.get("k"))!.metadataText()).toBe("abc");
  });

  it("metadataText() decodes UTF-8, returns null without metadata, and throws TypeError synchronously on invalid UTF-8", async () => {
    expect((await entryFor("v", "42")).metadataText()).toBe("42");
    expect((await entryFor("v", new Uint8Array([42]))).metadataText()).toBe("*");
    expect((await entryFor("v")).metadataText()).toBeNull();
    const bad = await entryFor("v", new Uint8Array([0xc3, 0x28]));
    expectSyncThrow(() => bad.metadataText(), TypeError, "malformed UTF-8 character sequence at offset 0");
    // A lead byte at the very end is the runtime's InternalError "buffer too small" (see above).
    const cut = await entryFor("v", new Uint8Array([0xc3]));
    expect(() => cut.metadataText()).toThrow(expect.objectContaining({ name: "InternalError", message: "buffer too small" }));
  });
});
