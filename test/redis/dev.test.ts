/**
 * `edge-kv dev --redis`: the app's stores live in Redis. A request's write is seen by another process
 * on the same server and what that process writes is served by the app; fastly.toml seeds Redis; the
 * URL's password is never printed, from --redis or EDGE_KV_REDIS, even when the server refuses it.
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
import { EdgeKvError, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { redisStores } from "edge-kv/redis";
import { parseDevArgs } from "../../src/cli/dev.js";
import { runDevToExit, startDev } from "../host/dev-cli.js";
import { useRedisServer } from "./support.js";

const PASSWORD = "hunter2-dev-secret";
const redis = useRedisServer({ args: ["--requirepass", PASSWORD] });
const url = () => `redis://:${PASSWORD}@127.0.0.1:${redis.server.port}`;
const fixture = fileURLToPath(new URL("../host/fixtures/dev-project/", import.meta.url));
const project = mkdtempSync(join(tmpdir(), "edge-kv-dev-redis-"));
cpSync(fixture, project, { recursive: true });
afterAll(() => rmSync(project, { recursive: true, force: true }));

describe("edge-kv dev --redis", () => {
  test("the app's writes are in Redis for another process, and the other process's writes reach the app; fastly.toml seeded Redis; the password is never printed", async () => {
    const dev = await startDev(["--redis", url()], project);
    const stores = redisStores(url());
    try {
      expect(dev.stdout()).toContain(`  notes in Redis at redis://***@127.0.0.1:${redis.server.port} (from fastly.toml); entry from package.json scripts.build; Ctrl-C stops it\n`);
      expect((await fetch(`${dev.url}/note`, { method: "PUT", body: "written by the app" })).status).toBe(204);

      // Another process on the same server: this test's own registry, through KVStore.
      const registry = new KVRegistry({ createDriver: stores });
      registry.defineStore("notes");
      setRegistry(registry);
      const notes = new KVStore("notes");
      expect(await (await notes.get("note"))?.text()).toBe("written by the app");
      expect(await (await notes.get("hello"))?.text()).toBe("from fastly.toml");
      await notes.put("shared", "written by another process");
      const served = await fetch(`${dev.url}/shared`);
      expect([served.status, await served.text()]).toEqual([200, "shared: written by another process"]);
      expect(await stores.storeNames()).toEqual(["notes"]);
    } finally {
      await dev.stop();
      await stores.close();
    }
    expect(dev.child.exitCode).toBe(0);
    expect(dev.stdout() + dev.stderr()).not.toContain(PASSWORD);
  });

  test("EDGE_KV_REDIS is read when there is no --redis: a wrong password stops dev at start with exit code 1, saying so without showing it", async () => {
    const wrong = `redis://app:wrong-${PASSWORD}@127.0.0.1:${redis.server.port}`;
    const run = await runDevToExit(["--port", "0"], project, { EDGE_KV_REDIS: wrong });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^edge-kv: Redis list of stores failed on redis:\/\/\*\*\*@127\.0\.0\.1:\d+: the server refused the credentials/);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  });

  test("--redis excludes --data and needs a URL; it wins over EDGE_KV_REDIS, which --data overrides (and says so)", () => {
    const env = { EDGE_KV_REDIS: "redis://:pw@env-host:6379" };
    expect(() => parseDevArgs(["--redis", "redis://kv:6379", "--data", "d"], project, {})).toThrow(new EdgeKvError("dev: --data and --redis exclude each other; pick one"));
    expect(() => parseDevArgs(["--redis", ""], project, {})).toThrow(new EdgeKvError("dev: --redis needs a URL like redis://127.0.0.1:6379"));
    expect(parseDevArgs([], project, env)).toMatchObject({ redis: env.EDGE_KV_REDIS, redisFrom: "EDGE_KV_REDIS", data: undefined });
    expect(parseDevArgs(["--redis", "redis://kv:6379"], project, env)).toMatchObject({ redis: "redis://kv:6379", redisFrom: "--redis" });
    expect(parseDevArgs(["--data", "d"], project, env)).toMatchObject({ redis: undefined, redisFrom: "EDGE_KV_REDIS ignored", data: resolve(project, "d") });
    expect(parseDevArgs([], project, { EDGE_KV_REDIS: "" })).toMatchObject({ redis: undefined, redisFrom: undefined });
  });
});
