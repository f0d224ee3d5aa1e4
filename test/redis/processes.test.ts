/** Several processes on one Redis store: exactly one `add` winner, no lost append or prepend, exact counters. */
import { it } from "vitest";
import { checkContenders } from "./contenders.js";
import { freshStoreName, useRedisServer } from "./support.js";

const redis = useRedisServer();

it("4 processes racing on one store lose nothing and double nothing", async () => {
  await checkContenders(redis.url, freshStoreName("processes"), 4, 40);
}, 120_000);
