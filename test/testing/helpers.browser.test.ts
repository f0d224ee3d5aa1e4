import { expect, it } from "vitest";
import { KVStore } from "edge-kv";
import { createTestKv } from "edge-kv/testing";
import * as fastlyKvStore from "edge-kv/fastly-kv-store";

it("edge-kv/testing runs in a real browser: seed, fault, fake-clock TTL, stale read, read-back", async () => {
  expect(navigator.userAgent).toMatch(/Chrome/);
  const kv = await createTestKv({ stores: { s: { seed: { k: "old" } } } }).reset();
  const store = new fastlyKvStore.KVStore("s");
  expect(store).toBeInstanceOf(KVStore);
  kv.failNext("s", { operation: "insert" });
  await expect(store.put("k", "x")).rejects.toThrow(new TypeError("KVStore insert: Too many requests."));
  await store.put("t", "short", { ttl: 5 });
  kv.advanceSeconds(5);
  expect(await store.get("t")).toBeNull();
  kv.simulateEventualConsistency("s", { staleForMs: 1000 });
  await store.put("k", "new");
  expect(await (await store.get("k"))!.text()).toBe("old");
  expect(await kv.snapshot("s")).toEqual({ k: "new" });
  kv.restore();
});
