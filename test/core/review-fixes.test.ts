import { describe, expect, it } from "vitest";
import { KVError, KVStore, KVStoreEntry, resetRegistry } from "edge-kv";
import { expectSyncThrow, freshStore } from "./helpers.js";

describe("read-back hands out copies", () => {
  it("mutating what inspect() or entries() returned does not change the store", async () => {
    const { store, admin } = freshStore();
    await store.put("k", "hello", { metadata: "meta" });
    const view = (await admin.inspect("k"))!;
    view.value[0] = 0x4a;
    view.metadata![0] = 0x4d;
    (await admin.entries())[0]!.value[1] = 0x41;
    const entry = (await store.get("k"))!;
    expect(entry.metadataText()).toBe("meta");
    expect(await entry.text()).toBe("hello");
  });
});

describe("lookups the store reports as not found", () => {
  it("resolve null, as on Compute (get never rejects with 'Not found.')", async () => {
    const { store, admin } = freshStore();
    await store.put("k", "v");
    admin.core.hook = (operation) => {
      if (operation === "lookup") throw new KVError("not-found");
    };
    await expect(store.get("k")).resolves.toBeNull();
    admin.core.hook = (operation) => {
      if (operation === "lookup") throw new KVError("too-many-requests");
    };
    await expect(store.get("k")).rejects.toThrow(new TypeError("KVStore lookup: Too many requests."));
  });
});

describe("KVStoreEntry receiver checks", () => {
  it("its members throw \"Method 'X' called on receiver that's not an instance of KVStoreEntry\" on other objects", () => {
    const proto = KVStoreEntry.prototype as unknown as Record<string, unknown>;
    for (const name of ["arrayBuffer", "json", "text", "metadata", "metadataText"]) {
      expectSyncThrow(() => (proto[name] as () => unknown).call({}), TypeError, `Method '${name}' called on receiver that's not an instance of KVStoreEntry`);
    }
    for (const name of ["body", "bodyUsed"]) {
      const getter = Object.getOwnPropertyDescriptor(proto, name)!.get!;
      expectSyncThrow(() => getter.call({}), TypeError, `Method '${name}' called on receiver that's not an instance of KVStoreEntry`);
    }
  });
});

describe("conversions follow the runtime's abstract operations", () => {
  it("ttl goes through ToNumber: a BigInt throws a TypeError synchronously and nothing is written", async () => {
    const { store, admin } = freshStore();
    expect(() => store.put("k", "v", { ttl: 1n as unknown as number })).toThrow(TypeError);
    expect(await admin.inspect("k")).toBeNull();
  });

  it("an object that only claims Symbol.toStringTag 'ArrayBuffer' or 'ReadableStream' is stored by ToString", async () => {
    const { store } = freshStore();
    await store.put("a", { [Symbol.toStringTag]: "ArrayBuffer", toString: () => "not a buffer" } as unknown as string);
    await store.put("s", { [Symbol.toStringTag]: "ReadableStream", toString: () => "not a stream" } as unknown as string);
    expect(await (await store.get("a"))!.text()).toBe("not a buffer");
    expect(await (await store.get("s"))!.text()).toBe("not a stream");
  });

  it("a store name is UTF-8 encoded like keys: a lone surrogate opens the U+FFFD store", async () => {
    const registry = resetRegistry();
    await registry.defineStore("a\uFFFD").seed({ k: "v" });
    expect(await (await new KVStore("a\uD800").get("k"))!.text()).toBe("v");
  });

  it("the admin API rounds ttl to whole seconds, as KVStore.put does", async () => {
    const { admin, clock } = freshStore();
    const view = await admin.put("k", "v", { ttl: 1.5 });
    expect(view.expiresAt!.getTime() - clock.now()).toBe(2000);
  });

  it("refuses a metadata limit above the 69,000 bytes Compute can read back", () => {
    const registry = resetRegistry();
    expect(() => registry.defineStore("big", { maxMetadataBytes: 69_001 })).toThrow(
      "edge-kv: store 'big': maxMetadataBytes can be at most 69000 (Compute cannot read larger metadata back), got 69001",
    );
    expect(() => registry.defineStore("ok", { maxMetadataBytes: 69_000 })).not.toThrow();
  });
});
