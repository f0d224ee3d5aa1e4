/**
 * Two connections to one database (two tabs of a page) racing on one key. Shared by the Node test
 * (fake-indexeddb) and the Chromium test (native IndexedDB); uses no Node API.
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock, IndexedDBDriver, KVRegistry, KVStore, setRegistry, type StoredRecord } from "edge-kv";
import { writeRecord } from "../contract/plans.js";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const record = (value: string, generation: number): StoredRecord => ({
  value: new TextEncoder().encode(value),
  metadata: null,
  generation,
  expiresAt: null,
  lastModified: 1_700_000_000_000,
  contentType: null,
});

export function describeTwoConnections(environment: string, open: (databaseName: string) => IndexedDBDriver) {
  describe(`two connections to one database (two tabs), ${environment}`, () => {
    const drivers: IndexedDBDriver[] = [];
    let counter = 0;
    /** Two drivers, hence two IDBDatabase connections, on one fresh database. */
    const twoTabs = () => {
      const name = `edge-kv-race-${Date.now().toString(36)}-${++counter}`;
      const pair = [open(name), open(name)] as const;
      drivers.push(...pair);
      return pair;
    };
    afterEach(async () => {
      for (const driver of drivers.splice(0)) await driver.destroy();
    });

    it("lets exactly one of concurrent 'must be absent' writes from both connections win", async () => {
      const [tabA, tabB] = twoTabs();
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => writeRecord(i % 2 ? tabB : tabA, "race", record(`w${i}`, i + 1), null)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = `w${results.indexOf(true)}`;
      expect(text((await tabA.read("race"))!.value)).toBe(winner);
      expect(text((await tabB.read("race"))!.value)).toBe(winner);
    });

    it("lets exactly one of two writes expecting the same generation win, one per connection", async () => {
      const [tabA, tabB] = twoTabs();
      await writeRecord(tabA, "k", record("v1", 1), null);
      const results = await Promise.all([writeRecord(tabA, "k", record("from A", 2), 1), writeRecord(tabB, "k", record("from B", 3), 1)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(text((await tabB.read("k"))!.value)).toBe(results[0] ? "from A" : "from B");
    });

    describe("through KVStore, each tab with its own registry", () => {
      let previous: KVRegistry | undefined;
      afterEach(() => {
        if (previous) setRegistry(previous);
        previous = undefined;
      });
      /** A KVStore per tab; `inTab` makes that tab's registry active while the call starts. */
      const twoStores = () => {
        const [tabA, tabB] = twoTabs();
        const clock = new FakeClock();
        const registries = [tabA, tabB].map((driver) => {
          const registry = new KVRegistry({ clock });
          registry.defineStore("shared", { driver });
          return registry;
        });
        const stores = registries.map((registry) => {
          const before = setRegistry(registry);
          previous ??= before;
          return new KVStore("shared");
        });
        return stores as [KVStore, KVStore];
      };

      it("loses no update when both tabs append to one key at the same time", async () => {
        const [storeA, storeB] = twoStores();
        await Promise.all(
          Array.from({ length: 30 }, (_, i) => (i % 2 ? storeB : storeA).put("log", i % 2 ? "b" : "a", { mode: "append" })),
        );
        const final = await (await storeA.get("log"))!.text();
        expect(final).toHaveLength(30);
        expect([...final].filter((c) => c === "a")).toHaveLength(15);
        expect(await (await storeB.get("log"))!.text()).toBe(final);
      });

      it("loses no update when both tabs prepend to one key at the same time", async () => {
        const [storeA, storeB] = twoStores();
        await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? storeB : storeA).put("log", "x", { mode: "prepend" })));
        expect(await (await storeB.get("log"))!.text()).toBe("x".repeat(20));
      });

      it("lets exactly one add win when both tabs add one key at the same time", async () => {
        const [storeA, storeB] = twoStores();
        const results = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => (i % 2 ? storeB : storeA).put("once", `w${i}`, { mode: "add" })),
        );
        const rejected = results.filter((result) => result.status === "rejected");
        expect(rejected).toHaveLength(9);
        for (const failure of rejected) expect(failure.reason).toEqual(new TypeError("KVStore insert: Precondition failed."));
      });
    });
  });
}
