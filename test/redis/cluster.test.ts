/**
 * The Redis driver on a real 3-master Redis Cluster: the shared contract suite and the model-based
 * sequences run unchanged, every key of a store hashes to one slot (the server's CLUSTER KEYSLOT says
 * so), and stores spread over the masters.
 */
import { describe, expect, it } from "vitest";
import type { KVDriver } from "edge-kv";
import { RedisDriver, StoreKeys, redisStores, type RedisStores } from "edge-kv/redis";
import { describeDriverContract, ADVERSARIAL_KEYS } from "../contract/driver-contract.js";
import { modelBasedTests } from "../reliability/model-run.js";
import { checkContenders } from "./contenders.js";
import { freshStoreName, redisFactory, useRedisCluster } from "./support.js";

const redis = useRedisCluster();
let stores: RedisStores | undefined;

describeDriverContract("redis (3-master cluster)", () => (stores ??= redisStores(redis.url))(freshStoreName("cluster")), {
  reopen: (driver: KVDriver) => new RedisDriver({ url: redis.url, storeName: (driver as RedisDriver).storeName }),
  cleanup: (driver: KVDriver) => (driver as RedisDriver).destroy(),
});

describe("model-based: Redis driver on a cluster", () => {
  modelBasedTests("redis cluster, two connections", redisFactory(() => redis.url, "twin"), { sequences: 20, maxCommands: 40, twin: true });
});

describe("several processes on a cluster store", () => {
  it("3 processes racing lose nothing and double nothing", async () => {
    await checkContenders(redis.url, freshStoreName("processes"), 3, 25);
  }, 120_000);
});

describe("hash slots", () => {
  it("puts every key of a store in the slot of its tag, whatever the store name and key hold", async () => {
    const admin = redis.cluster.nodes[0]!.client();
    const slot = async (key: Buffer | string) => (await admin.call("CLUSTER", "KEYSLOT", key)) as number;
    for (const name of ["sessions", "a{b}c", "}{", "{", "x:y", "é\u{1F600}"]) {
      const keys = new StoreKeys("edge-kv", name);
      const expected = await slot(`{${keys.meta.toString().split("{")[1]!.split("}")[0]}}`);
      const all = [keys.meta, keys.index, keys.keyInfo, ...["{", "}", "{x}", "}{", ...ADVERSARIAL_KEYS].map((key) => keys.record(Buffer.from(key)))];
      expect(await Promise.all(all.map(slot))).toEqual(all.map(() => expected));
    }
  });

  it("serves stores whose slots live on different masters, through one connection found from one seed node", async () => {
    const factory = redisStores(redis.cluster.urls[0]!); // one node's URL: the driver asks it whether it is in a cluster
    const admin = redis.cluster.nodes[0]!.client();
    const owners = new Set<string>();
    const shards = ((await admin.call("CLUSTER", "SLOTS")) as [number, number, [string, number]][]).map(([from, to, [, port]]) => ({ from, to, port }));
    const drivers = ["s1", "s2", "s3", "s4", "s5", "s6"].map((name) => factory(freshStoreName(name)));
    for (const driver of drivers) {
      const slot = (await admin.call("CLUSTER", "KEYSLOT", driver.keys.index)) as number;
      owners.add(String(shards.find((shard) => slot >= shard.from && slot <= shard.to)!.port));
      await driver.write("k", { now: 1, require: "absent", combine: "replace", value: Buffer.from(driver.storeName), maxValueBytes: 100, metadata: null, expiresAt: null, lastModified: 1, contentType: null, generationFloor: 1, freshGeneration: 1 });
    }
    expect(owners.size).toBeGreaterThan(1);
    expect(factory.connection.isCluster).toBe(true);
    for (const driver of drivers) {
      expect(Buffer.from((await driver.read("k"))!.value).toString()).toBe(driver.storeName);
      await driver.destroy();
    }
    await factory.close();
  });
});
