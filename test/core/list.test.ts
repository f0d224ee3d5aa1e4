import { describe, expect, it } from "vitest";
import { encodeCursor } from "edge-kv";
import { expectRejection, expectSyncThrow, freshStore } from "./helpers.js";

describe("list options", () => {
  it("throws TypeError 'KVStore.list: options must be an object' when called without an options object", () => {
    const { store } = freshStore();
    const list = store.list as (options?: unknown) => unknown;
    expectSyncThrow(() => list.call(store), TypeError, "KVStore.list: options must be an object");
    expectSyncThrow(() => list.call(store, null), TypeError, "KVStore.list: options must be an object");
    expectSyncThrow(() => list.call(store, "prefix"), TypeError, "KVStore.list: options must be an object");
  });

  it("throws the runtime's TypeErrors synchronously for options of the wrong type", () => {
    const { store } = freshStore();
    expectSyncThrow(() => store.list({ cursor: 5 as unknown as string }), TypeError, "KVStore.list: cursor must be a string");
    expectSyncThrow(() => store.list({ limit: "booooo" as unknown as number }), TypeError, "KVStore.list: limit must be an integer");
    expectSyncThrow(() => store.list({ limit: 5.5 }), TypeError, "KVStore.list: limit must be an integer");
    expectSyncThrow(() => store.list({ limit: Number.POSITIVE_INFINITY }), TypeError, "KVStore.list: limit must be an integer");
    expectSyncThrow(() => store.list({ prefix: 1 as unknown as string }), TypeError, "KVStore.list: prefix must be a string");
    expectSyncThrow(() => store.list({ noSync: "yes" as unknown as boolean }), TypeError, "KVStore.list: noSync must be a boolean");
  });

  it("checks options in the runtime's order: cursor, limit, prefix, noSync", () => {
    const { store } = freshStore();
    const all = { cursor: 1, limit: 1.5, prefix: 1, noSync: 1 } as unknown as Parameters<typeof store.list>[0];
    expectSyncThrow(() => store.list(all), TypeError, "KVStore.list: cursor must be a string");
    expectSyncThrow(() => store.list({ ...all, cursor: undefined }), TypeError, "KVStore.list: limit must be an integer");
    expectSyncThrow(() => store.list({ ...all, cursor: undefined, limit: undefined }), TypeError, "KVStore.list: prefix must be a string");
  });

  it("treats null options as absent", async () => {
    const { store } = freshStore();
    await store.put("a", "v");
    expect(await store.list({ cursor: null, limit: null, prefix: null, noSync: null } as unknown as object)).toEqual({ list: ["a"], cursor: undefined });
  });

  it("rejects a cursor that is not base64 of a key with TypeError 'KVStore list: Bad request.'", async () => {
    const { store } = freshStore();
    await store.put("a", "v");
    await expectRejection(() => store.list({ cursor: "not base64!" }), TypeError, "KVStore list: Bad request.");
    await expectRejection(() => store.list({ cursor: "/w==" }), TypeError, "KVStore list: Bad request.");
  });
});

describe("list results", () => {
  it("returns { list, cursor } with both own properties, cursor undefined on the last page", async () => {
    const { store } = freshStore();
    await store.put("a", "v");
    const result = await store.list({});
    expect(Reflect.ownKeys(result)).toEqual(["list", "cursor"]);
    expect(result.cursor).toBeUndefined();
    expect(result.list).toEqual(["a"]);
  });

  it("orders keys by UTF-8 bytes, not UTF-16 code units", async () => {
    const { store } = freshStore();
    const keys = ["\u{1F600}", "\uE000", "z", "a", "é", "B"];
    for (const key of keys) await store.put(key, "v");
    expect((await store.list({})).list).toEqual(["B", "a", "z", "é", "\uE000", "\u{1F600}"]);
  });

  it("paginates like the upstream e2e test: 100 keys c0..c99, pages of 10/10/70/10 and a final undefined cursor", async () => {
    const { store } = freshStore();
    for (let i = 0; i < 100; i++) await store.put(`c${i}`, "v");
    await store.put("d", "outside the prefix");
    const sorted = Array.from({ length: 100 }, (_, i) => `c${i}`).sort();
    const first = await store.list({ limit: 10, prefix: "c" });
    expect(first.list).toEqual(sorted.slice(0, 10));
    expect(first.cursor).toBe(encodeCursor(sorted[9]!));
    const second = await store.list({ limit: 10, prefix: "c", cursor: first.cursor! });
    expect(second.list).toEqual(sorted.slice(10, 20));
    const third = await store.list({ limit: 70, prefix: "c", cursor: second.cursor! });
    expect(third.list).toEqual(sorted.slice(20, 90));
    const last = await store.list({ limit: 10, prefix: "c", cursor: third.cursor! });
    expect(last.list).toEqual(sorted.slice(90, 100));
    expect(last.cursor).toBeUndefined();
  });

  it("gives no cursor when a page ends exactly at the last matching key", async () => {
    const { store } = freshStore();
    for (const key of ["a1", "a2", "b1"]) await store.put(key, "v");
    expect(await store.list({ prefix: "a", limit: 2 })).toEqual({ list: ["a1", "a2"], cursor: undefined });
    const page = await store.list({ limit: 2 });
    expect(page.list).toEqual(["a1", "a2"]);
    expect(page.cursor).toBe(encodeCursor("a2"));
  });

  it("uses standard base64 (with padding) of the last returned key as the cursor, and continues strictly after it", async () => {
    const { store } = freshStore();
    for (const key of ["k1", "k2", "k3"]) await store.put(key, "v");
    const page = await store.list({ limit: 1 });
    expect(page.cursor).toBe("azE=");
    expect((await store.list({ cursor: "azE=" })).list).toEqual(["k2", "k3"]);
    // A cursor for a key that does not exist still continues after it.
    expect((await store.list({ cursor: encodeCursor("k15") })).list).toEqual(["k2", "k3"]);
  });

  it("returns at most 1000 keys when no limit is given", async () => {
    const { store } = freshStore();
    for (let i = 0; i < 1005; i++) await store.put(`k${String(i).padStart(4, "0")}`, "v");
    const page = await store.list({});
    expect(page.list).toHaveLength(1000);
    expect(page.cursor).toBe(encodeCursor("k0999"));
  });

  it("passes limit to the store as a u32: 0 lists nothing, -1 means 4294967295", async () => {
    const { store } = freshStore();
    for (const key of ["a", "b"]) await store.put(key, "v");
    expect(await store.list({ limit: 0 })).toEqual({ list: [], cursor: undefined });
    expect(await store.list({ limit: -1 })).toEqual({ list: ["a", "b"], cursor: undefined });
  });

  it("does not list expired keys, and still fills the page from live ones", async () => {
    const { store, clock } = freshStore();
    for (let i = 0; i < 10; i++) await store.put(`k${i}`, "v", i % 2 ? { ttl: 5 } : {});
    clock.advanceSeconds(5);
    const page = await store.list({ limit: 3 });
    expect(page.list).toEqual(["k0", "k2", "k4"]);
    expect((await store.list({ limit: 3, cursor: page.cursor! })).list).toEqual(["k6", "k8"]);
  });

  it("accepts noSync: true and false with the same result on a single store", async () => {
    const { store } = freshStore();
    await store.put("a", "v");
    expect(await store.list({ noSync: true })).toEqual(await store.list({ noSync: false }));
  });
});

describe("list prefix encoding", () => {
  it("encodes the prefix like keys: a lone high surrogate is U+FFFD and does not match an emoji", async () => {
    const { store } = freshStore();
    await store.put("\u{1F600}", "v");
    await store.put("\uFFFDx", "v");
    expect(await store.list({ prefix: "\uD83D" })).toEqual({ list: ["\uFFFDx"], cursor: undefined });
  });
});
