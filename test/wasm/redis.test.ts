/**
 * The real runtime on a store of a real network driver: a guest in a worker thread reads and writes a
 * Redis-backed store while the main thread does the I/O; the data is in Redis for every other client.
 */
import { resetRegistry } from "edge-kv";
import { RedisDriver } from "edge-kv/redis";
import { describe, expect, it } from "vitest";
import { loadWasmApp } from "../../src/wasm/index.js";
import { freshStoreName, useRedisServer } from "../redis/support.js";
import { fixtureWasm } from "./helpers.js";

const redis = useRedisServer();

describe("a guest on a Redis store", () => {
  it("puts, gets, lists and deletes through the main thread's driver", async () => {
    const storeName = freshStoreName("wasm");
    const driver = new RedisDriver({ url: redis.url, storeName });
    resetRegistry().defineStore("kv", { driver });
    const app = await loadWasmApp({ wasm: await fixtureWasm(), thread: "worker", workers: 1, echo: false });
    try {
      const json = async (path: string, init?: RequestInit) => (await app.fetch(path, init)).json();
      expect(await json("/kv/put?key=a&metadata=m", { method: "POST", body: "in redis" })).toEqual({ error: null });
      expect(await json("/kv/get?key=a")).toEqual({ found: true, value: "in redis", metadata: "m" });
      expect(await json("/kv/list")).toEqual({ list: ["a"], cursor: null });
      // Another client of the same Redis store sees the guest's write.
      const other = new RedisDriver({ url: redis.url, storeName });
      expect(new TextDecoder().decode((await other.read("a"))!.value)).toBe("in redis");
      await other.close();
      expect(await json("/kv/delete?key=a")).toEqual({ error: null });
      expect(await json("/kv/get?key=a")).toEqual({ found: false });
    } finally {
      await app.close();
      await driver.destroy();
    }
  });
});
