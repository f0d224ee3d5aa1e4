import type { KVDriver } from "edge-kv";
import { RedisDriver, redisStores, type RedisStores } from "edge-kv/redis";
import { describeDriverContract } from "../contract/driver-contract.js";
import { freshStoreName, useRedisServer } from "./support.js";

const redis = useRedisServer();
let stores: RedisStores | undefined;

describeDriverContract("redis (single server)", () => (stores ??= redisStores(redis.url))(freshStoreName("contract")), {
  // Another connection on the same store: what a second process would see.
  reopen: (driver: KVDriver) => new RedisDriver({ url: redis.url, storeName: (driver as RedisDriver).storeName }),
  cleanup: (driver: KVDriver) => (driver as RedisDriver).destroy(),
});
