/**
 * The Vite/Vitest plugin with `driver: { redis }`: a real Vitest child process whose stores live in a
 * Redis server this test started, seeded and reset before each test; and the option's checks.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { resolveKvConfig } from "../../src/shim/config.js";
import { runFixture } from "../shim/run-fixture.js";
import { useRedisServer } from "./support.js";

const redis = useRedisServer();

describe("edgeKv({ driver: { redis } })", () => {
  it("keeps the stores in Redis: seeded, reset before each test, written by the app, read back through Redis", async () => {
    const report = await runFixture(fileURLToPath(new URL("./fixtures/vitest-redis/", import.meta.url)), 60_000, undefined, { EDGE_KV_FIXTURE_REDIS: redis.url });
    expect(report.tests.filter((test) => test.status !== "passed"), report.output).toEqual([]);
    expect(report.numPassedTests).toBe(4);
  });

  it("applies the default driver to every store without its own, fastly.toml's included", async () => {
    const config = await resolveKvConfig({ driver: { redis: "redis://kv:6379" }, stores: { a: {}, b: { driver: "memory" }, c: { driver: { directory: "d" } } } }, "/project", "edgeKv");
    expect(Object.fromEntries(Object.entries(config.stores).map(([name, store]) => [name, store.driver]))).toEqual({
      a: { redis: "redis://kv:6379" },
      b: "memory",
      c: { directory: "/project/d" },
    });
  });

  it("refuses a malformed driver, without showing a password", async () => {
    await expect(resolveKvConfig({ stores: { a: { driver: { redis: "redis://:hunter2@kv", directory: "x" } as never } } }, "/p", "edgeKv")).rejects.toThrow(
      'edge-kv: edgeKv({ stores: { "a": ... } }): driver must be "memory", { directory: "path/to/folder" } or { redis: "redis://host:6379" }, got {"redis":"redis://***@kv","directory":"x"}',
    );
    await expect(resolveKvConfig({ driver: { redis: "" } }, "/p", "edgeKv")).rejects.toThrow('edge-kv: edgeKv({ driver }): driver must be "memory", { directory: "path/to/folder" } or { redis: "redis://host:6379" }, got {"redis":""}');
  });
});
