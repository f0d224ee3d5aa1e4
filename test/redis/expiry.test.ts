/**
 * Server-side expiry: a record with an expiry carries a Redis TTL of its remaining lifetime plus the
 * grace period, so the server reclaims its memory; once the server dropped it, the store acts as if it
 * expired (a list purges its index entries) and a re-created key still gets a higher generation.
 */
import { describe, expect, it } from "vitest";
import { FakeClock, KVRegistry, type WritePlan } from "edge-kv";
import { RedisDriver } from "edge-kv/redis";
import { freshStoreName, useRedisServer } from "./support.js";

const redis = useRedisServer();
const NOW = 1_800_000_000_000;
const plan = (fields: Partial<WritePlan> = {}): WritePlan => ({
  now: NOW,
  require: "any",
  combine: "replace",
  value: new TextEncoder().encode("v"),
  maxValueBytes: 100,
  metadata: null,
  expiresAt: null,
  lastModified: NOW,
  contentType: null,
  generationFloor: 1,
  freshGeneration: 1,
  ...fields,
});

describe("server-side expiry", () => {
  it("gives a record with an expiry a Redis TTL of its remaining lifetime plus the grace, and removes it when the record loses its expiry", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("ttl"), expiryGraceMs: 500 });
    const admin = redis.server.client();
    await driver.write("k", plan({ expiresAt: NOW + 10_000 }));
    const ttl = await admin.pttl(driver.keys.record(Buffer.from("k")));
    expect(ttl).toBeGreaterThan(10_000);
    expect(ttl).toBeLessThanOrEqual(10_500);
    // Long expired by the writer's clock: kept for the grace period only.
    await driver.write("old", plan({ expiresAt: NOW - 60_000 }));
    expect(await admin.pttl(driver.keys.record(Buffer.from("old")))).toBeLessThanOrEqual(500);
    await driver.write("k", plan());
    expect(await admin.pttl(driver.keys.record(Buffer.from("k")))).toBe(-1);
    await driver.destroy();
  });

  it("never gives a key a generation it had before the server dropped its record, whatever the writer's fresh generation", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("retired") });
    const admin = redis.server.client();
    const first = await driver.write("k", plan({ expiresAt: NOW + 1000, freshGeneration: 5000 }));
    expect(first).toMatchObject({ status: "written", record: { generation: 5000 } });
    await admin.del(driver.keys.record(Buffer.from("k"))); // what the server's expiry does
    const again = await driver.write("k", plan({ freshGeneration: 7 }));
    expect(again.status === "written" && again.record.generation).toBe(5001);
    await driver.destroy();
  });

  it("after the server dropped an expired record, a list purges its index entries and a re-created key gets a higher generation", async () => {
    const clock = new FakeClock(NOW);
    const registry = new KVRegistry({ clock });
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("reclaim") });
    const store = registry.defineStore("s", { driver });
    const admin = redis.server.client();
    await store.put("gone", "soon", { ttl: 60 });
    await store.put("stays", "here");
    const { generation } = (await store.inspect("gone"))!;
    // The server drops it (as it does once the TTL passes).
    await admin.pexpire(driver.keys.record(Buffer.from("gone")), 1);
    for (let i = 0; i < 200 && (await admin.exists(driver.keys.record(Buffer.from("gone")))) === 1; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    clock.advanceSeconds(61);
    expect((await store.keys({ limit: 10 })).items.map((item) => item.key)).toEqual(["stays"]);
    // The purge the list started runs in the background: wait for it, bounded.
    for (let i = 0; i < 200 && (await admin.zcard(driver.keys.index)) !== 1; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await admin.zrange(driver.keys.index, 0, -1)).toEqual(["stays"]);
    expect((await admin.hkeys(driver.keys.keyInfo)).sort()).toEqual(["", "stays"]); // "" holds the retired generation
    await store.put("gone", "again");
    expect((await store.inspect("gone"))!.generation).toBeGreaterThan(generation);
    await registry.reset();
    await driver.destroy();
  });
});
