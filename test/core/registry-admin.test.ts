import { describe, expect, it } from "vitest";
import { EdgeKvError, FakeClock, KVError, KVRegistry, KVStore, MemoryDriver, getRegistry, resetRegistry, setRegistry } from "edge-kv";

describe("store registry", () => {
  it("defineStore makes a name resolvable by new KVStore(name)", async () => {
    const registry = resetRegistry();
    registry.defineStore("flags");
    await new KVStore("flags").put("k", "v");
    expect(await registry.store("flags").snapshot()).toEqual({ k: "v" });
  });

  it("refuses to define a store twice unless replace: true", () => {
    const registry = resetRegistry();
    registry.defineStore("s");
    expect(() => registry.defineStore("s")).toThrow(
      new EdgeKvError("store 's' is already defined. Pass { replace: true } to defineStore, or removeStore('s') first"),
    );
    expect(() => registry.defineStore("s", { replace: true })).not.toThrow();
  });

  it("refuses invalid store names and options with clear errors", () => {
    const registry = resetRegistry();
    expect(() => registry.defineStore("")).toThrow('edge-kv: cannot define store "": name can not be an empty string');
    expect(() => registry.defineStore("s", { maxMetadataBytes: -1 })).toThrow("edge-kv: store 's': maxMetadataBytes must be a non-negative integer, got -1");
    expect(() => registry.defineStore("s", { profile: "staging" as "viceroy" })).toThrow('edge-kv: store \'s\': profile must be "production" or "viceroy", got "staging"');
    expect(registry.storeNames()).toEqual([]);
  });

  it("store(name) on an unknown store names the defined ones and says what to do", () => {
    const registry = resetRegistry();
    registry.defineStore("cache");
    registry.defineStore("flags");
    expect(() => registry.store("sessions")).toThrow(
      "edge-kv: store 'sessions' is not defined. Defined stores: cache, flags. Define it with registry.defineStore('sessions'), in fastly.toml [local_server.kv_stores], or in the edgeKv({ stores }) plugin options",
    );
  });

  it("resetRegistry() isolates: stores of the previous registry are gone from new KVStore()", () => {
    resetRegistry().defineStore("s");
    expect(() => new KVStore("s")).not.toThrow();
    resetRegistry();
    expect(() => new KVStore("s")).toThrow("KVStore constructor: No KVStore named 's' exists");
  });

  it("setRegistry swaps the active registry and returns the previous one", () => {
    const a = new KVRegistry();
    const b = new KVRegistry();
    const original = setRegistry(a);
    expect(getRegistry()).toBe(a);
    expect(setRegistry(b)).toBe(a);
    setRegistry(original);
  });

  it("removeStore forgets the store and deletes its data; clearAll empties every store", async () => {
    const registry = resetRegistry();
    const driver = new MemoryDriver();
    await registry.defineStore("gone", { driver }).seed({ a: "1" });
    await registry.defineStore("kept").seed({ b: "2" });
    await registry.removeStore("gone");
    expect(registry.hasStore("gone")).toBe(false);
    expect(driver.size).toBe(0);
    await registry.clearAll();
    expect(await registry.store("kept").snapshot()).toEqual({});
  });

  it("uses createDriver for stores defined without a driver, and the registry clock for TTLs", async () => {
    const made: string[] = [];
    const clock = new FakeClock(0);
    const registry = new KVRegistry({ clock, createDriver: (name) => (made.push(name), new MemoryDriver()) });
    const admin = registry.defineStore("x");
    expect(made).toEqual(["x"]);
    await admin.put("k", "v", { ttl: 10 });
    expect((await admin.inspect("k"))!.expiresAt).toEqual(new Date(10_000));
    clock.advanceSeconds(10);
    expect(await admin.inspect("k")).toBeNull();
  });
});

describe("store admin API", () => {
  const setup = () => {
    const clock = new FakeClock(Date.UTC(2025, 0, 1));
    const registry = resetRegistry({ clock });
    return { admin: registry.defineStore("s"), clock };
  };

  it("inspect shows value, metadata, generation, expiry, last-modified and content type", async () => {
    const { admin, clock } = setup();
    await admin.put("k", "hello", { metadata: "m", ttl: 30, contentType: "text/plain" });
    const view = (await admin.inspect("k"))!;
    expect(view).toMatchObject({
      key: "k",
      text: "hello",
      metadataText: "m",
      expiresAt: new Date(clock.now() + 30_000),
      lastModified: new Date(clock.now()),
      contentType: "text/plain",
    });
    expect(Array.from(view.value)).toEqual([104, 101, 108, 108, 111]);
    expect(view.generation).toBeGreaterThan(0);
    expect(await admin.inspect("missing")).toBeNull();
  });

  it("put honours add, append, prepend and ifGenerationMatch, rejecting KVError precondition-failed", async () => {
    const { admin } = setup();
    const first = await admin.put("k", "b", { mode: "add" });
    await expect(admin.put("k", "x", { mode: "add" })).rejects.toMatchObject({ code: "precondition-failed" });
    await admin.put("k", "c", { mode: "append" });
    const third = await admin.put("k", "a", { mode: "prepend" });
    expect(third.text).toBe("abc");
    await expect(admin.put("k", "x", { ifGenerationMatch: first.generation })).rejects.toBeInstanceOf(KVError);
    expect((await admin.put("k", "z", { ifGenerationMatch: third.generation })).text).toBe("z");
  });

  it("put rejects bad options with EdgeKvError and writes nothing", async () => {
    const { admin } = setup();
    await expect(admin.put("k", "v", { mode: "upsert" as "add" })).rejects.toThrow("edge-kv: put('k'): mode must be one of overwrite, add, append, prepend, got \"upsert\"");
    await expect(admin.put("k", "v", { ifGenerationMatch: 0 })).rejects.toThrow("edge-kv: put('k'): ifGenerationMatch must be a positive integer, got 0");
    await expect(admin.put("k", "v", { ttl: -5 })).rejects.toThrow("edge-kv: put('k'): ttl must be a number of seconds from 0 to 4294967295, got -5");
    await expect(admin.put("a#b", "v")).rejects.toThrow(new TypeError("KVStore key can not contain # character"));
    expect(await admin.stats()).toEqual({ keys: 0, valueBytes: 0, metadataBytes: 0 });
  });

  it("delete rejects not-found for a missing key unless force, and checks ifGenerationMatch", async () => {
    const { admin } = setup();
    await expect(admin.delete("missing")).rejects.toMatchObject({ code: "not-found" });
    expect(await admin.delete("missing", { force: true })).toBe(false);
    const { generation } = await admin.put("k", "v");
    await expect(admin.delete("k", { ifGenerationMatch: generation + 1 })).rejects.toMatchObject({ code: "precondition-failed" });
    expect(await admin.delete("k", { ifGenerationMatch: generation })).toBe(true);
  });

  it("keys pages through keys with sizes and cursors", async () => {
    const { admin } = setup();
    await admin.seed({ a: "1", b: "22", c: "333" });
    const first = await admin.keys({ limit: 2 });
    expect(first.items.map((item) => [item.key, item.size])).toEqual([["a", 1], ["b", 2]]);
    const second = await admin.keys({ limit: 2, cursor: first.cursor! });
    expect(second).toMatchObject({ items: [{ key: "c", size: 3 }], cursor: undefined });
  });

  it("entries, snapshot and stats read back everything written", async () => {
    const { admin } = setup();
    await admin.seed({ a: "1", b: { value: "two", metadata: "m", ttl: 60 } });
    expect(await admin.snapshot()).toEqual({ a: "1", b: "two" });
    expect((await admin.entries()).map((entry) => [entry.key, entry.metadataText])).toEqual([["a", null], ["b", "m"]]);
    expect(await admin.stats()).toEqual({ keys: 2, valueBytes: 4, metadataBytes: 1 });
  });

  it("seed refuses a non-object", async () => {
    const { admin } = setup();
    await expect(admin.seed(null as unknown as Record<string, string>)).rejects.toThrow("edge-kv: seed('s') expects an object mapping keys to values");
  });
});

describe("renameStore", () => {
  it("moves a store, its data and settings to a new name", async () => {
    const registry = resetRegistry();
    await registry.defineStore("old", { maxMetadataBytes: 2000 }).seed({ k: "v" });
    const opened = new KVStore("old");
    const admin = registry.renameStore("old", "new");
    expect(admin.name).toBe("new");
    expect(registry.storeNames()).toEqual(["new"]);
    expect(await (await new KVStore("new").get("k"))!.text()).toBe("v");
    expect(await (await opened.get("k"))!.text()).toBe("v");
    expect(() => new KVStore("old")).toThrow("KVStore constructor: No KVStore named 'old' exists");
    expect(admin.core.settings.maxMetadataBytes).toBe(2000);
  });

  it("refuses an unknown source, a taken target and an invalid name", () => {
    const registry = resetRegistry();
    registry.defineStore("a");
    registry.defineStore("b");
    expect(() => registry.renameStore("zz", "c")).toThrow("edge-kv: store 'zz' is not defined.");
    expect(() => registry.renameStore("a", "b")).toThrow("edge-kv: cannot rename store 'a' to 'b': a store named 'b' is already defined");
    expect(() => registry.renameStore("a", "")).toThrow('edge-kv: cannot rename store \'a\' to "": name can not be an empty string');
    expect(registry.storeNames()).toEqual(["a", "b"]);
  });
});

describe("admin keys are encoded like KVStore keys", () => {
  it("stores a lone-surrogate key as U+FFFD, so KVStore and the admin API see one key", async () => {
    const registry = resetRegistry();
    const admin = registry.defineStore("s");
    const view = await admin.put("a\uD800", "v");
    expect(view.key).toBe("a\uFFFD");
    expect(await (await new KVStore("s").get("a\uD800"))!.text()).toBe("v");
    expect((await admin.inspect("a\uD800"))!.key).toBe("a\uFFFD");
    expect(await admin.delete("a\uDC00")).toBe(true);
  });
});
