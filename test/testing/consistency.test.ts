import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KVStore, getRegistry, setRegistry, type KVRegistry } from "edge-kv";
import { createTestKv, type TestKv } from "edge-kv/testing";

let outside: KVRegistry;
let kv: TestKv;
let store: KVStore;
beforeEach(async () => {
  outside = getRegistry();
  kv = await createTestKv({ stores: { s: { seed: { k: "old" } }, strong: { seed: { k: "old" } } } }).reset();
  store = new KVStore("s");
});
afterEach(() => setRegistry(outside));

const text = async (name: string, key: string) => {
  const entry = await new KVStore(name).get(key);
  return entry === null ? null : entry.text();
};

describe("simulated eventual consistency", () => {
  it("is off by default: a get right after a put sees the new value", async () => {
    await store.put("k", "new");
    expect(await text("s", "k")).toBe("new");
  });

  it("get returns the previous value until the window has passed on the clock", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("k", "new");
    expect(await text("s", "k")).toBe("old");
    kv.advance(999);
    expect(await text("s", "k")).toBe("old");
    kv.advance(1);
    expect(await text("s", "k")).toBe("new");
  });

  it("a key created within the window reads as missing", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 500 });
    await store.put("fresh", "1");
    expect(await store.get("fresh")).toBeNull();
    kv.advance(500);
    expect(await text("s", "fresh")).toBe("1");
  });

  it("a key deleted within the window still reads with its old value", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 500 });
    await store.delete("k");
    expect(await text("s", "k")).toBe("old");
    kv.advance(500);
    expect(await store.get("k")).toBeNull();
  });

  it("after several writes, get returns the value as it was one window ago", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("k", "v1");
    kv.advance(600);
    await store.put("k", "v2");
    expect(await text("s", "k")).toBe("old");
    kv.advance(400); // v1 was written 1000 ms ago, v2 400 ms ago
    expect(await text("s", "k")).toBe("v1");
    kv.advance(600);
    expect(await text("s", "k")).toBe("v2");
  });

  it("a stale value whose TTL has passed reads as missing", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 10_000 });
    await store.put("t", "short", { ttl: 1 });
    kv.advance(10_000);
    await store.put("t", "second");
    kv.advance(1);
    expect(await store.get("t")).toBeNull();
  });

  it("list({ noSync: false }) and list({}) stay strong: they show a key created within the window", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("fresh", "1");
    expect(await store.list({ noSync: false })).toEqual({ list: ["fresh", "k"], cursor: undefined });
    expect(await store.list({})).toEqual({ list: ["fresh", "k"], cursor: undefined });
  });

  it("list({ noSync: true }) is eventual: it leaves out a key created within the window, and shows it after", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("fresh", "1");
    await store.put("k", "rewritten");
    expect(await store.list({ noSync: true })).toEqual({ list: ["k"], cursor: undefined });
    kv.advance(1000);
    expect(await store.list({ noSync: true })).toEqual({ list: ["fresh", "k"], cursor: undefined });
  });

  it("list({ noSync: true }) keeps its limit and cursor while leaving out fresh keys", async () => {
    await store.put("a", "1");
    await store.put("c", "1");
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("b", "1");
    const first = await store.list({ noSync: true, limit: 2 });
    expect(first.list).toEqual(["a", "c"]);
    expect(await store.list({ noSync: true, limit: 2, cursor: first.cursor! })).toEqual({ list: ["k"], cursor: undefined });
  });

  it("writes see the latest data: add on a just-written key fails, gen matches the new generation", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("k", "new");
    await expect(store.put("k", "again", { mode: "add" })).rejects.toThrow("KVStore insert: Precondition failed.");
    const generation = (await kv.entry("s", "k"))!.generation;
    await expect(store.put("k", "newer", { gen: generation })).resolves.toBeUndefined();
    await store.put("k", "!", { mode: "append" });
    expect((await kv.entry("s", "k"))!.text).toBe("newer!");
  });

  it("read-back helpers see the latest data", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("k", "new");
    expect(await kv.snapshot("s")).toEqual({ k: "new" });
  });

  it("applies to the chosen store only", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await new KVStore("strong").put("k", "new");
    expect(await text("strong", "k")).toBe("new");
  });

  it("reset() switches it off unless the store definition asks for it", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await kv.reset();
    await store.put("k", "new");
    expect(await text("s", "k")).toBe("new");

    const configured = await createTestKv({ stores: { e: { seed: { k: "old" }, consistency: { staleForMs: 100 } } } }).reset();
    await new KVStore("e").put("k", "new");
    await configured.reset();
    await new KVStore("e").put("k", "new");
    expect(await text("e", "k")).toBe("old");
  });

  it("null switches it off at once", async () => {
    kv.simulateEventualConsistency("s", { staleForMs: 1000 });
    await store.put("k", "new");
    kv.simulateEventualConsistency("s", null);
    expect(await text("s", "k")).toBe("new");
  });

  it("refuses a window that is not a non-negative number", () => {
    expect(() => kv.simulateEventualConsistency("s", { staleForMs: -5 })).toThrow(
      "edge-kv: eventual consistency for store 's': staleForMs must be a finite number of milliseconds >= 0, got -5",
    );
  });
});
