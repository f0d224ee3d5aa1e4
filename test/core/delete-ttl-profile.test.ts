import { describe, expect, it } from "vitest";
import { Messages } from "edge-kv";
import { expectRejection, expectSyncThrow, freshStore } from "./helpers.js";

describe("delete", () => {
  it("resolves undefined and removes the key", async () => {
    const { store } = freshStore();
    await store.put("k", "v");
    await expect(store.delete("k")).resolves.toBeUndefined();
    expect(await store.get("k")).toBeNull();
  });

  it("rejects TypeError 'KVStore delete: Not found.' for a missing key (production), and for a second delete", async () => {
    const { store } = freshStore();
    await expectRejection(() => store.delete("missing"), TypeError, "KVStore delete: Not found.");
    await store.put("k", "v");
    await store.delete("k");
    await expectRejection(() => store.delete("k"), TypeError, "KVStore delete: Not found.");
  });

  it("settles parallel deletes of different keys independently", async () => {
    const { store } = freshStore();
    for (let i = 0; i < 5; i++) await store.put(`k${i}`, "v");
    expect(await Promise.all([0, 1, 2, 3, 4].map((i) => store.delete(`k${i}`)))).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect((await store.list({})).list).toEqual([]);
  });
});

describe("TTL expiry (on the store's clock)", () => {
  it("keeps an entry until its TTL has passed, then hides it from get, list and delete", async () => {
    const { store, clock } = freshStore();
    await store.put("k", "v", { ttl: 60 });
    clock.advanceSeconds(59);
    expect(await (await store.get("k"))!.text()).toBe("v");
    clock.advanceSeconds(1);
    expect(await store.get("k")).toBeNull();
    expect((await store.list({})).list).toEqual([]);
    await expectRejection(() => store.delete("k"), TypeError, "KVStore delete: Not found.");
  });

  it("expires ttl: 0 at once", async () => {
    const { store } = freshStore();
    await store.put("k", "v", { ttl: 0 });
    expect(await store.get("k")).toBeNull();
  });

  it("treats an expired key as absent for add, and append starts fresh", async () => {
    const { store, clock } = freshStore();
    await store.put("k", "old", { ttl: 1 });
    await store.put("log", "old", { ttl: 1 });
    clock.advanceSeconds(1);
    await store.put("k", "new", { mode: "add" });
    await store.put("log", "new", { mode: "append" });
    expect(await (await store.get("k"))!.text()).toBe("new");
    expect(await (await store.get("log"))!.text()).toBe("new");
  });

  it("removes expired entries lazily on read and all at once with sweepExpired()", async () => {
    const { store, admin, clock } = freshStore();
    for (let i = 0; i < 4; i++) await store.put(`k${i}`, "v", { ttl: 1 });
    await store.put("keep", "v");
    clock.advanceSeconds(2);
    await store.get("k0");
    expect(admin.core.driver.read("k0")).toBeNull();
    expect(await admin.sweepExpired()).toBe(3);
    expect((await admin.core.driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["keep"]);
  });
});

describe("viceroy profile (Fastly's local server)", () => {
  it("resolves delete of a missing key instead of rejecting", async () => {
    const { store } = freshStore({ profile: "viceroy" });
    await expect(store.delete("missing")).resolves.toBeUndefined();
  });

  it("rejects keys Viceroy refuses at the host with plain Error '<fn>: Invalid argument.\\n'", async () => {
    const { store } = freshStore({ profile: "viceroy" });
    for (const key of ["a/../b", "./x", "v1./x", "x/..", ".well-known/acme-challenge", " "]) {
      await expectRejection(() => store.put(key, "v"), Error, "put: Invalid argument.\n");
      await expectRejection(() => store.get(key), Error, "get: Invalid argument.\n");
      await expectRejection(() => store.delete(key), Error, "delete_: Invalid argument.\n");
    }
    const production = freshStore();
    await production.store.put("a/../b", "v");
    expect(await (await production.store.get("a/../b"))!.text()).toBe("v");
  });

  it("rejects empty or non-UTF-8 metadata with Error 'put: Invalid argument.\\n'", async () => {
    const { store } = freshStore({ profile: "viceroy" });
    await expectRejection(() => store.put("k", "v", { metadata: "" }), Error, "put: Invalid argument.\n");
    await expectRejection(() => store.put("k", "v", { metadata: new Uint8Array([0xff]) }), Error, "put: Invalid argument.\n");
  });

  it("lets a gen write to a missing key through", async () => {
    const { store } = freshStore({ profile: "viceroy" });
    await store.put("new", "v", { gen: 2 });
    expect(await (await store.get("new"))!.text()).toBe("v");
  });

  it("throws Error 'list: Invalid argument.\\n' synchronously for an empty cursor or prefix", () => {
    const { store } = freshStore({ profile: "viceroy" });
    expectSyncThrow(() => store.list({ cursor: "" }), Error, Messages.hostInvalidArgument("list"));
    expectSyncThrow(() => store.list({ prefix: "" }), Error, "list: Invalid argument.\n");
  });

  it("production treats an empty cursor or prefix as absent", async () => {
    const { store } = freshStore();
    await store.put("a", "v");
    expect((await store.list({ cursor: "", prefix: "" })).list).toEqual(["a"]);
  });
});
