import { describe, expect, it } from "vitest";
import { KVStore } from "edge-kv";
import { expectRejection, expectSyncThrow, freshStore } from "./helpers.js";

const invalidKeys: Array<[string, string, string]> = [
  ["an empty key", "", "KVStore key can not be an empty string"],
  ["a key of 1025 UTF-8 bytes", "k".repeat(1025), "KVStore key can not be more than 1024 characters"],
  ["a key of 342 × 'é' (684 bytes) plus 341 × 'x' (1025 bytes)", "é".repeat(342) + "x".repeat(341), "KVStore key can not be more than 1024 characters"],
  ["a key with a newline", "a\nb", "KVStore key can not contain newline character"],
  ["a key with a carriage return", "a\rb", "KVStore key can not contain carriage return character"],
  ["a key with ^", "a^b", "KVStore key can not contain ^ character"],
  ["a key with |", "a|b", "KVStore key can not contain | character"],
  ["a key with ;", "a;b", "KVStore key can not contain ; character"],
  ["a key with ?", "a?b", "KVStore key can not contain ? character"],
  ["a key with #", "a#b", "KVStore key can not contain # character"],
  ["a key whose first forbidden character is # (then ;)", "x#y;z", "KVStore key can not contain # character"],
  ["a key whose first forbidden character is ; (then #)", "x;y#z", "KVStore key can not contain ; character"],
  ["a key with NUL before ;", "a\u0000;", "KVStore key can not contain ; character"],
  ["a key starting with .well-known/acme-challenge/", ".well-known/acme-challenge/token", "KVStore key can not start with .well-known/acme-challenge/"],
  ["the key '.'", ".", "KVStore key can not be '.' or '..'"],
  ["the key '..'", "..", "KVStore key can not be '.' or '..'"],
];

const validKeys = [
  "k".repeat(1024),
  "é".repeat(512),
  "a\u0000b",
  "a/../b",
  "./x",
  ".well-known/acme-challenge",
  ".well-known/other/x",
  "...",
  "\u{1F600}",
  "white space",
];

describe("key rules", () => {
  for (const [what, key, message] of invalidKeys) {
    it(`put throws TypeError '${message}' synchronously for ${what}`, () => {
      const { store } = freshStore();
      expectSyncThrow(() => store.put(key, "v"), TypeError, message);
    });
    it(`get rejects with TypeError '${message}' for ${what}`, async () => {
      const { store } = freshStore();
      await expectRejection(() => store.get(key), TypeError, message);
    });
    it(`delete rejects with TypeError '${message}' for ${what}`, async () => {
      const { store } = freshStore();
      await expectRejection(() => store.delete(key), TypeError, message);
    });
  }

  it("accepts keys the runtime accepts: 1024 bytes, NUL, path-like, near-acme, astral", async () => {
    const { store } = freshStore();
    for (const key of validKeys) {
      await store.put(key, `value of ${key.length}`);
      expect(await (await store.get(key))!.text()).toBe(`value of ${key.length}`);
    }
  });

  it("nothing is written when a key is rejected", async () => {
    const { store, admin } = freshStore();
    expect(() => store.put("a;b", "v")).toThrow(TypeError);
    expect(await admin.stats()).toEqual({ keys: 0, valueBytes: 0, metadataBytes: 0 });
  });

  it("converts keys with ToString: numbers, objects, and lone surrogates become U+FFFD", async () => {
    const { store } = freshStore();
    await store.put(42 as unknown as string, "n");
    expect(await (await store.get("42"))!.text()).toBe("n");
    await store.put({ toString: () => "obj" } as unknown as string, "o");
    expect(await (await store.get("obj"))!.text()).toBe("o");
    await store.put("a\uD800b", "s");
    expect(await (await store.get("a\uFFFDb"))!.text()).toBe("s");
    expect((await store.list({})).list).toEqual(["42", "a\uFFFDb", "obj"]);
  });

  it("put throws a key ToString failure synchronously; get and delete reject with it", async () => {
    const { store } = freshStore();
    const sentinel = new Error("sentinel");
    const bad = { toString() { throw sentinel; } } as unknown as string;
    expect(() => store.put(bad, "v")).toThrow(sentinel);
    await expect(store.get(bad)).rejects.toBe(sentinel);
    await expect(store.delete(bad)).rejects.toBe(sentinel);
    expect(() => store.put(Symbol("s") as unknown as string, "v")).toThrow(TypeError);
    await expect(store.get(Symbol("s") as unknown as string)).rejects.toThrow(TypeError);
  });

  describe("argument counts and receivers (thrown synchronously)", () => {
    it("get() throws 'get: At least 1 argument required, but only 0 passed'", () => {
      const { store } = freshStore();
      expectSyncThrow(() => (store as unknown as { get(): unknown }).get(), TypeError, "get: At least 1 argument required, but only 0 passed");
    });
    it("delete() throws 'delete: At least 1 argument required, but only 0 passed'", () => {
      const { store } = freshStore();
      expectSyncThrow(() => (store as unknown as { delete(): unknown }).delete(), TypeError, "delete: At least 1 argument required, but only 0 passed");
    });
    it("put with 0 or 1 argument throws 'put: At least 2 arguments required, but only N passed'", () => {
      const { store } = freshStore();
      const put = store.put as unknown as (...args: unknown[]) => unknown;
      expectSyncThrow(() => put.call(store), TypeError, "put: At least 2 arguments required, but only 0 passed");
      expectSyncThrow(() => put.call(store, "k"), TypeError, "put: At least 2 arguments required, but only 1 passed");
    });
    it("a method called on another object throws \"Method 'put' called on receiver that's not an instance of KVStore\"", () => {
      for (const method of ["get", "put", "delete", "list"] as const) {
        expectSyncThrow(
          () => (KVStore.prototype[method] as (...args: unknown[]) => unknown).call({}, "k", "v"),
          TypeError,
          `Method '${method}' called on receiver that's not an instance of KVStore`,
        );
      }
    });
  });
});
