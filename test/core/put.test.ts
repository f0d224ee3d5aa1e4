import { describe, expect, it } from "vitest";
import { KVLimits, trackBodyStreams } from "edge-kv";
import { expectRejection, expectSyncThrow, freshStore } from "./helpers.js";

const bytesOf = async (store: ReturnType<typeof freshStore>["store"], key: string) =>
  Array.from(new Uint8Array(await (await store.get(key))!.arrayBuffer()));

describe("put values", () => {
  it("stores strings as UTF-8, with lone surrogates as U+FFFD", async () => {
    const { store } = freshStore();
    await store.put("astral", "\u{1F600}é");
    expect(await (await store.get("astral"))!.text()).toBe("\u{1F600}é");
    await store.put("lone", "a\uD800");
    expect(await bytesOf(store, "lone")).toEqual([0x61, 0xef, 0xbf, 0xbd]);
    await store.put("empty", "");
    expect(await (await store.get("empty"))!.text()).toBe("");
  });

  it("stores the viewed bytes of every ArrayBufferView and ArrayBuffer, copied at put time", async () => {
    const { store } = freshStore();
    const buffer = new ArrayBuffer(8);
    new Uint8Array(buffer).set([1, 2, 3, 4, 5, 6, 7, 8]);
    const views: Array<[string, ArrayBuffer | ArrayBufferView, number[]]> = [
      ["ArrayBuffer", buffer, [1, 2, 3, 4, 5, 6, 7, 8]],
      ["Uint8Array window", new Uint8Array(buffer, 2, 3), [3, 4, 5]],
      ["Int8Array", new Int8Array([-1, 1]), [255, 1]],
      ["Uint8ClampedArray", new Uint8ClampedArray([300 as number, 7]), [255, 7]],
      ["Int16Array", new Int16Array(buffer, 0, 1), [1, 2]],
      ["Uint16Array", new Uint16Array(buffer, 2, 1), [3, 4]],
      ["Int32Array", new Int32Array(buffer, 4, 1), [5, 6, 7, 8]],
      ["Uint32Array", new Uint32Array(buffer, 0, 1), [1, 2, 3, 4]],
      ["Float32Array", new Float32Array(buffer, 0, 1), [1, 2, 3, 4]],
      ["Float64Array", new Float64Array(buffer), [1, 2, 3, 4, 5, 6, 7, 8]],
      ["BigInt64Array", new BigInt64Array(buffer), [1, 2, 3, 4, 5, 6, 7, 8]],
      ["BigUint64Array", new BigUint64Array(buffer), [1, 2, 3, 4, 5, 6, 7, 8]],
      ["DataView", new DataView(buffer, 6, 2), [7, 8]],
    ];
    for (const [name, view, expected] of views) {
      await store.put(name, view);
      expect(await bytesOf(store, name)).toEqual(expected);
    }
    new Uint8Array(buffer).fill(0);
    expect(await bytesOf(store, "ArrayBuffer")).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("stores URLSearchParams as its form-urlencoded serialization", async () => {
    const { store } = freshStore();
    await store.put("form", new URLSearchParams({ a: "1 2", b: "é&" }));
    expect(await (await store.get("form"))!.text()).toBe("a=1+2&b=%C3%A9%26");
  });

  it("stores anything else by ToString: undefined, null, numbers, objects, Blob", async () => {
    const { store } = freshStore();
    const cases: Array<[unknown, string]> = [
      [undefined, "undefined"],
      [null, "null"],
      [42, "42"],
      [true, "true"],
      [{ toString: () => "custom" }, "custom"],
      [new Blob(["x"]), "[object Blob]"],
    ];
    for (const [i, [value, text]] of cases.entries()) {
      await store.put(`v${i}`, value as string);
      expect(await (await store.get(`v${i}`))!.text()).toBe(text);
    }
  });

  it("throws a Symbol value's ToString TypeError synchronously", () => {
    const { store } = freshStore();
    expect(() => store.put("k", Symbol("v") as unknown as string)).toThrow(TypeError);
  });

  it("reads a body ReadableStream (a Response's) to its end", async () => {
    const { store } = freshStore();
    const untrack = trackBodyStreams();
    try {
      await store.put("s", new Response(new TextEncoder().encode("hello stream")).body!);
    } finally {
      untrack();
    }
    expect(await (await store.get("s"))!.text()).toBe("hello stream");
  });

  it("rejects a locked ReadableStream with TypeError \"Can't use a ReadableStream that's locked or has ever been read from or canceled\"", async () => {
    const { store, admin } = freshStore();
    const stream = new ReadableStream();
    stream.getReader();
    await expectRejection(() => store.put("s", stream), TypeError, "Can't use a ReadableStream that's locked or has ever been read from or canceled");
    expect(await admin.inspect("s")).toBeNull();
  });

  it("rejects a value over 30 MiB (31,457,280 bytes) with 'KVStore value can not be more than 30 Megabytes in size' and accepts exactly 30 MiB", async () => {
    const { store, admin } = freshStore();
    const limit = KVLimits.MAX_VALUE_BYTES;
    expect(limit).toBe(31_457_280);
    await expectRejection(() => store.put("big", new Uint8Array(limit + 1)), TypeError, "KVStore value can not be more than 30 Megabytes in size");
    expect(await admin.inspect("big")).toBeNull();
    await store.put("big", new Uint8Array(limit));
    expect((await admin.inspect("big"))!.value.byteLength).toBe(limit);
  });

  it("rejects a body stream longer than 30 MiB with the same message, and writes nothing", async () => {
    const { store, admin } = freshStore();
    const untrack = trackBodyStreams();
    try {
      const body = new Response(new Uint8Array(KVLimits.MAX_VALUE_BYTES + 1)).body!;
      await expectRejection(() => store.put("big", body), TypeError, "KVStore value can not be more than 30 Megabytes in size");
    } finally {
      untrack();
    }
    expect(await admin.inspect("big")).toBeNull();
  });

  it("makes a write visible to operations started after put() returns, before its promise is awaited", async () => {
    const { store } = freshStore();
    const pending = store.put("k", "v1");
    const read = store.get("k");
    await pending;
    expect(await (await read)!.text()).toBe("v1");
  });

  it("resolves undefined", async () => {
    const { store } = freshStore();
    await expect(store.put("k", "v")).resolves.toBeUndefined();
  });
});

describe("put options: ttl", () => {
  it("throws RangeError 'KVStore.put: ttl is not a valid number' synchronously for NaN", () => {
    const { store } = freshStore();
    expectSyncThrow(() => store.put("k", "v", { ttl: Number.NaN }), RangeError, "KVStore.put: ttl is not a valid number");
    expectSyncThrow(() => store.put("k", "v", { ttl: "soon" as unknown as number }), RangeError, "KVStore.put: ttl is not a valid number");
  });
  it("throws RangeError 'KVStore.put: ttl can not be a negative number' synchronously", () => {
    const { store } = freshStore();
    expectSyncThrow(() => store.put("k", "v", { ttl: -1 }), RangeError, "KVStore.put: ttl can not be a negative number");
  });
  it("throws RangeError 'KVStore.put: ttl is above the maximum of 4294967296' for 2^32 and accepts 2^32 - 1", async () => {
    const { store } = freshStore();
    expectSyncThrow(() => store.put("k", "v", { ttl: 4294967296 }), RangeError, "KVStore.put: ttl is above the maximum of 4294967296");
    await store.put("k", "v", { ttl: 4294967295 });
  });
  it("treats ttl: null as 0 (expires at once) and converts numeric strings", async () => {
    const { store, admin, clock } = freshStore();
    await store.put("n", "v", { ttl: null as unknown as number });
    expect(await store.get("n")).toBeNull();
    await store.put("s", "v", { ttl: "60" as unknown as number });
    expect((await admin.inspect("s"))!.expiresAt!.getTime()).toBe(clock.now() + 60_000);
  });
  it("rounds ttl to the nearest whole second", async () => {
    const { store, admin, clock } = freshStore();
    await store.put("k", "v", { ttl: 1.6 });
    expect((await admin.inspect("k"))!.expiresAt!.getTime()).toBe(clock.now() + 2000);
  });
});

describe("put options: gen (if-generation-match)", () => {
  it("rejects TypeError 'KVStore.insert: gen must be an integer' for a string, zero, negative, NaN, infinite or huge gen", async () => {
    const { store, admin } = freshStore();
    for (const gen of ["2", 0, -1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60]) {
      await expectRejection(() => store.put("k", "v", { gen: gen as number }), TypeError, "KVStore.insert: gen must be an integer");
    }
    expect(await admin.inspect("k")).toBeNull();
  });
  it("truncates a fractional gen as the runtime's unsigned 64-bit conversion does: 2.5 matches generation 2", async () => {
    const { store, admin } = freshStore();
    await store.put("k", "v1");
    const { generation } = (await admin.inspect("k"))!;
    await store.put("k", "v2", { gen: generation + 0.75 });
    expect(await (await store.get("k"))!.text()).toBe("v2");
    await expectRejection(() => store.put("k", "v3", { gen: generation + 0.75 }), TypeError, "KVStore insert: Precondition failed.");
    // 0.5 truncates to generation 0, which no record has
    await expectRejection(() => store.put("k", "v3", { gen: 0.5 }), TypeError, "KVStore insert: Precondition failed.");
    expect(await (await store.get("k"))!.text()).toBe("v2");
  });
  it("ignores gen: null and gen: undefined", async () => {
    const { store } = freshStore();
    await store.put("k", "v", { gen: null as unknown as number });
    await store.put("k", "v2", { gen: undefined });
    expect(await (await store.get("k"))!.text()).toBe("v2");
  });
  it("writes when gen matches the current generation and rejects 'KVStore insert: Precondition failed.' otherwise", async () => {
    const { store, admin } = freshStore();
    await store.put("k", "v1");
    const { generation } = (await admin.inspect("k"))!;
    await expectRejection(() => store.put("k", "stale", { gen: generation + 1 }), TypeError, "KVStore insert: Precondition failed.");
    await store.put("k", "v2", { gen: generation });
    expect(await (await store.get("k"))!.text()).toBe("v2");
    await expectRejection(() => store.put("k", "again", { gen: generation }), TypeError, "KVStore insert: Precondition failed.");
  });
  it("rejects a gen write to a missing key (production: there is no generation to match)", async () => {
    const { store, admin } = freshStore();
    await expectRejection(() => store.put("missing", "v", { gen: 5 }), TypeError, "KVStore insert: Precondition failed.");
    expect(await admin.inspect("missing")).toBeNull();
  });
});

describe("put options: metadata", () => {
  it("stores string metadata as UTF-8 and bytes verbatim", async () => {
    const { store } = freshStore();
    await store.put("s", "v", { metadata: "méta" });
    expect((await store.get("s"))!.metadataText()).toBe("méta");
    await store.put("b", "v", { metadata: new Uint8Array([0, 255]) });
    expect(Array.from(new Uint8Array((await store.get("b"))!.metadata()!))).toEqual([0, 255]);
    await store.put("ab", "v", { metadata: new Uint16Array([0x0102]).buffer });
    expect(Array.from(new Uint8Array((await store.get("ab"))!.metadata()!))).toEqual([2, 1]);
  });
  it("rejects TypeError 'KVStore.put metadata: bytes must be an ArrayBuffer or ArrayBufferView object' for null, numbers and objects", async () => {
    const { store, admin } = freshStore();
    for (const metadata of [null, 42, { a: 1 }, true]) {
      await expectRejection(
        () => store.put("k", "v", { metadata: metadata as unknown as string }),
        TypeError,
        "KVStore.put metadata: bytes must be an ArrayBuffer or ArrayBufferView object",
      );
    }
    expect(await admin.inspect("k")).toBeNull();
  });
  it("rejects metadata over 1000 bytes as the runtime reports the store's refusal, TypeError 'KVStore insert: Payload too large.', and accepts 1000", async () => {
    const { store, admin } = freshStore();
    await expectRejection(() => store.put("k", "v", { metadata: "m".repeat(1001) }), TypeError, "KVStore insert: Payload too large.");
    expect(await admin.inspect("k")).toBeNull();
    await store.put("k", "v", { metadata: "m".repeat(1000) });
    expect((await store.get("k"))!.metadataText()).toHaveLength(1000);
  });
  it("uses the store's configured metadata limit (e.g. the REST API's 2000)", async () => {
    const { store } = freshStore({ maxMetadataBytes: 2000 });
    await store.put("k", "v", { metadata: "m".repeat(2000) });
    await expectRejection(() => store.put("k", "v", { metadata: "m".repeat(2001) }), TypeError, "KVStore insert: Payload too large.");
  });
  it("treats empty metadata as none", async () => {
    const { store } = freshStore();
    await store.put("k", "v", { metadata: "" });
    expect((await store.get("k"))!.metadata()).toBeNull();
  });
});

describe("put options: mode", () => {
  it("add inserts a missing key and rejects 'KVStore insert: Precondition failed.' on an existing one, leaving it unchanged", async () => {
    const { store } = freshStore();
    await store.put("k", "first", { mode: "add" });
    await expectRejection(() => store.put("k", "second", { mode: "add" }), TypeError, "KVStore insert: Precondition failed.");
    expect(await (await store.get("k"))!.text()).toBe("first");
  });
  it("append and prepend concatenate, and insert when the key is missing", async () => {
    const { store } = freshStore();
    await store.put("a", "start", { mode: "append" });
    await store.put("a", "-end", { mode: "append" });
    expect(await (await store.get("a"))!.text()).toBe("start-end");
    await store.put("p", "d", { mode: "prepend" });
    await store.put("p", "cba", { mode: "prepend" });
    expect(await (await store.get("p"))!.text()).toBe("cbad");
  });
  it("silently treats an unknown mode string as overwrite (modes are case-sensitive)", async () => {
    const { store } = freshStore();
    await store.put("k", "one");
    await store.put("k", "two", { mode: "ADD" as "add" });
    await store.put("k", "three", { mode: "upsert" as "add" });
    expect(await (await store.get("k"))!.text()).toBe("three");
  });
  it("converts mode with ToString", async () => {
    const { store } = freshStore();
    await store.put("k", "x");
    await store.put("k", "y", { mode: { toString: () => "append" } as unknown as "append" });
    expect(await (await store.get("k"))!.text()).toBe("xy");
  });
  it("ignores options that are not objects", async () => {
    const { store } = freshStore();
    await store.put("k", "v", "ttl=1" as unknown as object);
    await store.put("k2", "v", null as unknown as object);
    await store.put("k3", "v", 5 as unknown as object);
    expect((await store.list({})).list).toEqual(["k", "k2", "k3"]);
  });
});

describe("every write replaces metadata, TTL and generation", () => {
  it("a write without metadata or ttl clears the previous ones, appends included", async () => {
    const { store, admin } = freshStore();
    await store.put("k", "a", { metadata: "m", ttl: 100 });
    await store.put("k", "b", { mode: "append" });
    const view = (await admin.inspect("k"))!;
    expect(view.text).toBe("ab");
    expect(view.metadata).toBeNull();
    expect(view.expiresAt).toBeNull();
  });
  it("assigns a new, strictly greater generation on every write, even when the clock does not move", async () => {
    const { store, admin } = freshStore();
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) {
      await store.put("k", `v${i}`, { mode: i % 2 ? "append" : "overwrite" });
      seen.push((await admin.inspect("k"))!.generation);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(seen.every((generation) => Number.isSafeInteger(generation) && generation > 0)).toBe(true);
  });
});

describe("generations across store instances", () => {
  it("a key deleted and re-created by another core on the same data (same clock tick) gets a generation it never had", async () => {
    const { MemoryDriver, KVRegistry, FakeClock, KVStore, setRegistry } = await import("edge-kv");
    const driver = new MemoryDriver();
    const clock = new FakeClock(0);
    const seen = new Set<number>();
    for (let round = 0; round < 50; round++) {
      const registry = new KVRegistry({ clock }); // a fresh core each round, as after a reopen or in another process
      const admin = registry.defineStore("s", { driver });
      const previous = setRegistry(registry);
      const store = new KVStore("s");
      await store.put("k", `v${round}`);
      const { generation } = (await admin.inspect("k"))!;
      expect(seen.has(generation)).toBe(false);
      seen.add(generation);
      await store.delete("k");
      setRegistry(previous);
    }
  });
});
