import { describe } from "vitest";
import { modelBasedTests } from "../reliability/model-run.js";
import { redisFactory, useRedisServer } from "./support.js";

const redis = useRedisServer();

describe("model-based: Redis driver (single server) through KVStore and the admin API", () => {
  // Close and reopen on a new connection (a new process, as far as the store can tell).
  modelBasedTests("redis, reopen", redisFactory(() => redis.url, "reopen"), { sequences: 30, maxCommands: 40, reopen: true });
  // Two drivers (two connections) on one store at once, the sequence hopping between them.
  modelBasedTests("redis, two connections", redisFactory(() => redis.url, "twin"), { sequences: 30, maxCommands: 40, twin: true });
  modelBasedTests("redis, two connections", redisFactory(() => redis.url, "twin"), { sequences: 10, maxCommands: 30, twin: true, profile: "viceroy" });
});
