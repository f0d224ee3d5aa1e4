/**
 * kv.reset() puts every store back to exactly its seeded state: through the driver's snapshot when it
 * has one (the memory driver), by clearing and seeding again otherwise. Both must be indistinguishable.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getRegistry, KVStore, MemoryDriver, setRegistry, systemClock, type KVDriver, type KVRegistry } from "edge-kv";
import { createTestKv } from "edge-kv/testing";

let outside: KVRegistry;
beforeEach(() => {
  outside = getRegistry();
});
afterEach(() => {
  setRegistry(outside);
  vi.restoreAllMocks();
});

/** A memory driver without the snapshot capability: reset falls back to clear + seed. */
function plainDriver(): KVDriver {
  const inner = new MemoryDriver();
  return {
    description: "memory without snapshots",
    read: (key) => inner.read(key),
    write: (key, plan) => inner.write(key, plan),
    delete: (key, plan) => inner.delete(key, plan),
    scan: (range) => inner.scan(range),
    clear: () => inner.clear(),
  };
}

const seed = {
  plain: "alice",
  meta: { value: "bob", metadata: "m1" },
  short: { value: "soon gone", ttl: 60 },
  long: { value: "stays", ttl: 3600 },
};

/** What a test does to the store: overwrite, append, delete, add, let a TTL pass and read the expired key (purged). */
async function scribble(kv: ReturnType<typeof createTestKv>) {
  const store = new KVStore("s");
  await store.put("plain", "changed", { metadata: "new" });
  await store.put("meta", "+tail", { mode: "append" });
  await store.delete("long");
  await store.put("added", "new key");
  await kv.seed("s", { extra: "extra" });
  kv.advanceSeconds(120);
  expect(await store.get("short")).toBeNull();
  await kv.store("s").sweepExpired();
}

// Seeding again issues new generations (as any write does); the snapshot brings back the seeded ones.
const withoutGeneration = <T extends { generation: number }>(entries: T[]) => entries.map(({ generation: _, ...rest }) => rest);

describe.each([
  ["the memory driver (snapshot)", () => new MemoryDriver(), true],
  ["a driver without snapshots (clear + seed)", plainDriver, false],
])("reset() on %s", (_name, driver, sameGenerations) => {
  it("restores every seeded record exactly: values, metadata, expiry and times (and generations from a snapshot)", async () => {
    const kv = createTestKv({ stores: { s: { seed, driver } } });
    await kv.reset();
    const seeded = await kv.entries("s");
    expect(seeded.map((entry) => entry.key)).toEqual(["long", "meta", "plain", "short"]);
    for (let round = 0; round < 3; round++) {
      await scribble(kv);
      await kv.reset();
      const entries = await kv.entries("s");
      if (sameGenerations) expect(entries).toEqual(seeded);
      else expect(withoutGeneration(entries)).toEqual(withoutGeneration(seeded));
    }
    // The TTL entry lives again for its full time after reset.
    kv.advanceSeconds(59);
    expect(await (await new KVStore("s").get("short"))!.text()).toBe("soon gone");
    kv.advanceSeconds(1);
    expect(await new KVStore("s").get("short")).toBeNull();
  });
});

describe("reset() through the memory driver's snapshot", () => {
  it("lets a generation read after the seed match again after reset", async () => {
    const kv = createTestKv({ stores: { s: { seed } } });
    await kv.reset();
    const { generation } = (await kv.entry("s", "plain"))!;
    await new KVStore("s").put("plain", "x", { gen: generation });
    await expect(new KVStore("s").put("plain", "y", { gen: generation })).rejects.toThrow("KVStore insert: Precondition failed.");
    await kv.reset();
    await new KVStore("s").put("plain", "z", { gen: generation });
    expect(await kv.snapshot("s")).toMatchObject({ plain: "z" });
  });
  it("does not write the seed again: it puts back only what changed", async () => {
    const driver = new MemoryDriver();
    const kv = createTestKv({ stores: { s: { seed: Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, `v${i}`])), driver } } });
    await kv.reset();
    await new KVStore("s").put("k1", "changed");
    const writes = vi.spyOn(driver, "write");
    const clears = vi.spyOn(driver, "clear");
    await kv.reset();
    expect(writes).not.toHaveBeenCalled();
    expect(clears).not.toHaveBeenCalled();
    expect(await (await new KVStore("s").get("k1"))!.text()).toBe("v1");
  });

  it("seeds again when someone took another snapshot of the driver", async () => {
    const driver = new MemoryDriver();
    const kv = createTestKv({ stores: { s: { seed, driver } } });
    await kv.reset();
    await new KVStore("s").put("plain", "changed");
    driver.snapshot();
    await kv.reset();
    expect(await kv.snapshot("s")).toEqual({ plain: "alice", meta: "bob", short: "soon gone", long: "stays" });
    await new KVStore("s").delete("plain");
    await kv.reset();
    expect(await kv.snapshot("s")).toMatchObject({ plain: "alice" });
  });

  it("with the system clock, seeds again at each reset so TTLs count from the reset", async () => {
    const driver = new MemoryDriver();
    const kv = createTestKv({ clock: "system", stores: { s: { seed: { k: { value: "v", ttl: 60 } }, driver } } });
    await kv.reset();
    const writes = vi.spyOn(driver, "write");
    const before = Date.now();
    await kv.reset();
    expect(writes).toHaveBeenCalledTimes(1);
    const { expiresAt } = (await kv.entry("s", "k"))!;
    expect(expiresAt!.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(kv.clock).toBe(systemClock);
  });
});
