import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KVStore, EdgeKvError, FakeClock, getRegistry, KVRegistry, setRegistry } from "edge-kv";
import { createTestKv, getTestKv, clearCurrentTestKv, type TestKv } from "edge-kv/testing";

const bytes = (text: string) => new TextEncoder().encode(text);
let outside: KVRegistry;
beforeEach(() => {
  outside = getRegistry();
});
afterEach(() => {
  setRegistry(outside);
});

describe("createTestKv: stores, seeds and isolation", () => {
  let kv: TestKv;
  beforeEach(async () => {
    kv = createTestKv({
      stores: {
        sessions: { seed: { "s:1": "alice", "s:2": { value: "bob", metadata: "v2", ttl: 60 } } },
        blobs: { seed: { raw: bytes("\u00e9") } },
        empty: {},
      },
    });
    await kv.reset();
  });

  it("makes its registry the one new KVStore(name) resolves in", async () => {
    expect(getRegistry()).toBe(kv.registry);
    expect(await (await new KVStore("sessions").get("s:1"))!.text()).toBe("alice");
  });

  it("seeds strings, bytes, and { value, metadata, ttl } entries", async () => {
    const entry = await new KVStore("sessions").get("s:2");
    expect(await entry!.text()).toBe("bob");
    expect(entry!.metadataText()).toBe("v2");
    expect(await (await new KVStore("blobs").get("raw"))!.text()).toBe("\u00e9");
    expect(await new KVStore("empty").list({})).toEqual({ list: [], cursor: undefined });
  });

  it("reset() drops what a test wrote and restores the seed", async () => {
    const store = new KVStore("sessions");
    await store.put("s:3", "carol");
    await store.delete("s:1");
    await kv.reset();
    expect(await kv.snapshot("sessions")).toEqual({ "s:1": "alice", "s:2": "bob" });
  });

  it("reset() puts the fake clock back to its start time", async () => {
    const start = kv.clock.now();
    kv.advanceSeconds(120);
    expect(await new KVStore("sessions").get("s:2")).toBeNull();
    await kv.reset();
    expect(kv.clock.now()).toBe(start);
    expect(await (await new KVStore("sessions").get("s:2"))!.text()).toBe("bob");
  });

  it("reset() makes its registry active again when a test switched it", async () => {
    setRegistry(new KVRegistry());
    await kv.reset();
    expect(getRegistry()).toBe(kv.registry);
  });

  it("restore() reinstates the registry that was active before", () => {
    kv.restore();
    expect(getRegistry()).toBe(outside);
  });

  it("a KVStore made before reset() keeps working on the reset data", async () => {
    const store = new KVStore("sessions");
    await store.put("s:1", "changed");
    await kv.reset();
    expect(await (await store.get("s:1"))!.text()).toBe("alice");
  });

  it("seed() adds entries now that the next reset() drops", async () => {
    await kv.seed("empty", { later: "x" });
    expect(await kv.snapshot("empty")).toEqual({ later: "x" });
    await kv.reset();
    expect(await kv.snapshot("empty")).toEqual({});
  });

  it("defineStore() adds a store that is seeded on reset()", async () => {
    kv.defineStore("late", { seed: { k: "v" } });
    await kv.reset();
    expect(await (await new KVStore("late").get("k"))!.text()).toBe("v");
  });

  it("ready() seeds a fresh TestKv once", async () => {
    const other = createTestKv({ stores: { a: { seed: { k: "v" } } } });
    await other.ready();
    expect(await other.snapshot("a")).toEqual({ k: "v" });
  });

  it("names the defined stores when asked for an unknown one", () => {
    expect(() => kv.store("nope")).toThrow(EdgeKvError);
    expect(() => kv.store("nope")).toThrow(
      "edge-kv: store 'nope' is not defined in this TestKv. Defined stores: sessions, blobs, empty. Add it to createTestKv({ stores }) or call defineStore('nope')",
    );
  });

  it("rejects a seed that is not an object, naming the store", () => {
    expect(() => createTestKv({ stores: { bad: { seed: "x" as never } } })).toThrow(
      "edge-kv: store 'bad': seed must be an object mapping keys to values, got \"x\"",
    );
  });

  it("reports a seed entry the store refuses, naming the store", async () => {
    const bad = createTestKv({ stores: { bad: { seed: { "": "x" } } } });
    await expect(bad.reset()).rejects.toThrow("edge-kv: could not seed store 'bad': KVStore key can not be an empty string");
  });
});

describe("read back", () => {
  it("entries() shows key, value, metadata, generation, expiry and write time of everything written", async () => {
    const kv = await createTestKv({ stores: { s: {} } }).ready();
    const now = kv.clock.now();
    await new KVStore("s").put("b", "2", { metadata: "meta", ttl: 30 });
    await new KVStore("s").put("a", "1");
    const [a, b] = await kv.entries("s");
    expect(a).toMatchObject({ key: "a", text: "1", metadata: null, metadataText: null, expiresAt: null, lastModified: new Date(now) });
    expect(b).toMatchObject({ key: "b", text: "2", metadataText: "meta", expiresAt: new Date(now + 30_000) });
    expect(Array.from(b!.value)).toEqual([50]);
    expect(Number.isSafeInteger(a!.generation) && a!.generation > 0).toBe(true);
    expect(b!.generation).not.toBe(a!.generation);
  });

  it("entries() shows a new generation after each write of a key", async () => {
    const kv = await createTestKv({ stores: { s: {} } }).ready();
    await new KVStore("s").put("k", "1");
    const first = (await kv.entry("s", "k"))!.generation;
    await new KVStore("s").put("k", "2");
    expect((await kv.entry("s", "k"))!.generation).toBeGreaterThan(first);
  });

  it("entries() leaves out expired entries and filters by prefix", async () => {
    const kv = await createTestKv({ stores: { s: { seed: { "a/1": "x", "a/2": { value: "y", ttl: 1 }, b: "z" } } } }).reset();
    kv.advanceSeconds(1);
    expect((await kv.entries("s", "a/")).map((entry) => entry.key)).toEqual(["a/1"]);
  });

  it("dump() returns the entries of every store", async () => {
    const kv = await createTestKv({ stores: { one: { seed: { k: "1" } }, two: {} } }).reset();
    const dump = await kv.dump();
    expect(Object.keys(dump)).toEqual(["one", "two"]);
    expect(dump.one!.map((entry) => entry.text)).toEqual(["1"]);
    expect(dump.two).toEqual([]);
  });

  it("operations lists every store operation since the last reset, seeding excluded", async () => {
    const kv = await createTestKv({ stores: { s: { seed: { k: "v" } } } }).reset();
    const store = new KVStore("s");
    await store.get("k");
    await store.put("n", "1");
    await store.list({ prefix: "n" });
    await store.delete("n");
    await kv.entries("s");
    expect(kv.operations).toEqual([
      { store: "s", operation: "lookup", key: "k" },
      { store: "s", operation: "insert", key: "n" },
      { store: "s", operation: "list" },
      { store: "s", operation: "delete", key: "n" },
    ]);
    await kv.reset();
    expect(kv.operations).toEqual([]);
  });
});

describe("fake clock", () => {
  it("an entry with ttl 60 is readable until 60 s have passed, then gone", async () => {
    const kv = await createTestKv({ stores: { s: {} } }).ready();
    const store = new KVStore("s");
    await store.put("k", "v", { ttl: 60 });
    kv.advance(59_999);
    expect(await (await store.get("k"))!.text()).toBe("v");
    kv.advance(1);
    expect(await store.get("k")).toBeNull();
    expect(await store.list({})).toEqual({ list: [], cursor: undefined });
  });

  it("starts at the given start time", () => {
    const kv = createTestKv({ start: new Date("2030-05-01T00:00:00Z") });
    expect(kv.clock.now()).toBe(Date.UTC(2030, 4, 1));
  });

  it("uses a clock that is passed in, and refuses to advance one that is not a FakeClock", () => {
    const clock = new FakeClock(1000);
    expect(createTestKv({ clock }).clock).toBe(clock);
    const real = createTestKv({ clock: "system" });
    expect(() => real.advance(1)).toThrow(
      "edge-kv: this TestKv does not use a FakeClock (it was created with a clock option); advance your own clock instead",
    );
  });
});

describe("getTestKv", () => {
  it("without a plugin, says how to set one up", () => {
    clearCurrentTestKv();
    expect(() => getTestKv()).toThrow(EdgeKvError);
    expect(() => getTestKv()).toThrow(
      'edge-kv: no stores were set up by a plugin in this process. Add edgeKv() to the plugins of vitest.config.ts (import { edgeKv } from "edge-kv/vite"), or make your own with createTestKv({ stores })',
    );
  });
});
