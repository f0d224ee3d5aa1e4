/**
 * `edge-kv serve --redis`: two server processes on one Redis serve the same stores, with the same
 * ids, to REST clients on both; racing conditional writes through both servers have exactly one
 * winner; a store created or deleted on one server shows on the other; Redis credentials never
 * appear in what the server prints, even when the server refuses them.
 */
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { EdgeKvError } from "edge-kv";
import { parseServeArgs } from "../../src/cli/serve.js";
import { resolve } from "node:path";
import { runCli, startCli, stopAll, stopCli } from "../server/cli-process.js";
import { startRedis, type RedisServer } from "./servers.js";
import { useRedisServer } from "./support.js";

const redis = useRedisServer();
afterEach(stopAll);

type Stores = { data: { id: string; name: string }[] };
const listStores = async (url: string) => ((await (await fetch(`${url}/resources/stores/kv`)).json()) as Stores).data;
const idOf = async (url: string, name: string) => (await listStores(url)).find((store) => store.name === name)?.id;

/** Asks `check` until it holds (other servers pick up store changes within about a second); at most 10 s. */
async function eventually(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error("the condition did not hold within 10 s");
}

describe("two edge-kv serve processes on one Redis", () => {
  test("serve the same stores, ids and items to clients of either server", async () => {
    const a = await startCli(["serve", "--port", "0", "--redis", redis.url, "--store", "sessions"]);
    const b = await startCli(["serve", "--port", "0", "--redis", redis.url]);
    expect(a.output()).toContain(`stores in Redis at ${redis.url}`);
    const id = await idOf(a.url, "sessions");
    expect(id).toMatch(/^[a-z0-9]{22}$/);
    expect(await idOf(b.url, "sessions")).toBe(id);

    const put = await fetch(`${a.url}/resources/stores/kv/${id}/keys/user%2F1`, { method: "PUT", body: "alice", headers: { metadata: "v1" } });
    expect(put.status).toBe(200);
    const got = await fetch(`${b.url}/resources/stores/kv/${id}/keys/user%2F1`);
    expect([got.status, await got.text(), got.headers.get("metadata")]).toEqual([200, "alice", "v1"]);
    const generation = Number(got.headers.get("generation"));

    // Generation-checked writes racing through both servers: exactly one wins.
    const race = await Promise.all(
      [a.url, b.url, a.url, b.url].map((url, i) =>
        fetch(`${url}/resources/stores/kv/${id}/keys/user%2F1`, { method: "PUT", body: `w${i}`, headers: { "if-generation-match": String(generation) } }),
      ),
    );
    expect(race.map((response) => response.status).sort()).toEqual([200, 412, 412, 412]);
    const winner = race.findIndex((response) => response.status === 200);
    expect(await (await fetch(`${a.url}/resources/stores/kv/${id}/keys/user%2F1`)).text()).toBe(`w${winner}`);

    // `add` racing through both servers: exactly one winner.
    const adds = await Promise.all(
      [a.url, b.url, b.url, a.url].map((url, i) => fetch(`${url}/resources/stores/kv/${id}/keys/once?add=true`, { method: "PUT", body: `a${i}` })),
    );
    expect(adds.map((response) => response.status).sort()).toEqual([200, 412, 412, 412]);

    // Appends through both servers lose nothing.
    await Promise.all(Array.from({ length: 20 }, (_, i) => fetch(`${i % 2 ? a.url : b.url}/resources/stores/kv/${id}/keys/log?append=true`, { method: "PUT", body: "x" })));
    expect(await (await fetch(`${b.url}/resources/stores/kv/${id}/keys/log`)).text()).toBe("x".repeat(20));
  });

  test("a store created over REST on one server appears on the other with the same id, and its deletion too", async () => {
    const a = await startCli(["serve", "--port", "0", "--redis", redis.url]);
    const b = await startCli(["serve", "--port", "0", "--redis", redis.url]);
    const created = await fetch(`${a.url}/resources/stores/kv`, { method: "POST", body: JSON.stringify({ name: "orders" }) });
    const { id } = (await created.json()) as { id: string };
    await eventually(async () => (await idOf(b.url, "orders")) === id);
    expect((await fetch(`${b.url}/resources/stores/kv/${id}/keys/o1`, { method: "PUT", body: "paid" })).status).toBe(200);
    expect(await (await fetch(`${a.url}/resources/stores/kv/${id}/keys/o1`)).text()).toBe("paid");

    expect((await fetch(`${b.url}/resources/stores/kv/${id}/keys/o1`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${b.url}/resources/stores/kv/${id}`, { method: "DELETE" })).status).toBe(204);
    await eventually(async () => (await idOf(a.url, "orders")) === undefined);
  });

  test("a restarted server serves what the other wrote, and ids stay the same", async () => {
    const a = await startCli(["serve", "--port", "0", "--redis", redis.url, "--store", "kept"]);
    const id = (await idOf(a.url, "kept"))!;
    await fetch(`${a.url}/resources/stores/kv/${id}/keys/k`, { method: "PUT", body: "v" });
    expect(await stopCli(a.child)).toBe(0);
    const again = await startCli(["serve", "--port", "0", "--redis", redis.url]);
    expect(await idOf(again.url, "kept")).toBe(id);
    expect(await (await fetch(`${again.url}/resources/stores/kv/${id}/keys/k`)).text()).toBe("v");
  });

  test("--redis excludes --data and --memory, and needs a URL", () => {
    expect(() => parseServeArgs(["--redis", redis.url, "--data", "d"], {})).toThrow(new EdgeKvError("serve: --data and --redis exclude each other; pick one"));
    expect(() => parseServeArgs(["--redis", redis.url, "--memory"], {})).toThrow(new EdgeKvError("serve: --memory and --redis exclude each other; pick one"));
    expect(() => parseServeArgs(["--redis", ""], {})).toThrow(new EdgeKvError("serve: --redis needs a URL like redis://127.0.0.1:6379"));
    expect(parseServeArgs(["--redis", "redis://:pw@kv:6379"], {})).toMatchObject({ redis: "redis://:pw@kv:6379", data: undefined });
  });

  test("EDGE_KV_REDIS is read when no storage flag is given (as dev and register read it); --redis wins over it, --data and --memory override it", () => {
    const env = { EDGE_KV_REDIS: "redis://:pw@env-host:6379" };
    expect(parseServeArgs([], env)).toMatchObject({ redis: env.EDGE_KV_REDIS, redisFrom: "EDGE_KV_REDIS", data: undefined });
    expect(parseServeArgs(["--redis", "redis://kv:6379"], env)).toMatchObject({ redis: "redis://kv:6379", redisFrom: "--redis" });
    expect(parseServeArgs(["--data", "d"], env)).toMatchObject({ redis: undefined, redisFrom: "EDGE_KV_REDIS ignored", data: resolve("d") });
    expect(parseServeArgs(["--memory"], env)).toMatchObject({ redis: undefined, redisFrom: "EDGE_KV_REDIS ignored", data: undefined });
    expect(parseServeArgs([], { EDGE_KV_REDIS: "" })).not.toHaveProperty("redisFrom");
    expect(parseServeArgs([], { EDGE_KV_REDIS: "" })).toMatchObject({ redis: undefined });
  });

  test("serve with only EDGE_KV_REDIS set keeps its stores in that Redis and says so, without the password", async () => {
    const a = await startCli(["serve", "--port", "0", "--store", "from-env"], { EDGE_KV_REDIS: redis.url });
    for (let tries = 0; !a.output().includes("Ctrl-C") && tries < 100; tries++) await new Promise((done) => setTimeout(done, 50));
    expect(a.output()).toContain(`stores in Redis at ${redis.url} (EDGE_KV_REDIS); any token accepted; Ctrl-C stops it`);
    const b = await startCli(["serve", "--port", "0", "--redis", redis.url]);
    expect(await idOf(b.url, "from-env")).toBe(await idOf(a.url, "from-env"));
    expect(await stopCli(a.child)).toBe(0);
    expect(await stopCli(b.child)).toBe(0);
  });
});

describe("Redis credentials stay out of everything serve prints", () => {
  let secured: RedisServer | undefined;
  afterAll(async () => {
    await secured?.stop();
  });

  test("the right password works and is never shown; a wrong one fails with exit code 1, unnamed", async () => {
    secured = await startRedis({ args: ["--requirepass", "hunter2-secret"] });
    const good = await startCli(["serve", "--port", "0", "--redis", `redis://:hunter2-secret@127.0.0.1:${secured.port}`, "--store", "s"]);
    const id = (await idOf(good.url, "s"))!;
    expect((await fetch(`${good.url}/resources/stores/kv/${id}/keys/k`, { method: "PUT", body: "v" })).status).toBe(200);
    expect(good.output()).toContain(`stores in Redis at redis://***@127.0.0.1:${secured.port}`);
    expect(good.output()).not.toContain("hunter2");

    const wrong = await runCli(["serve", "--port", "0", "--redis", `redis://app:wrong-hunter2@127.0.0.1:${secured.port}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^edge-kv: Redis list of stores failed on redis:\/\/\*\*\*@127\.0\.0\.1:\d+: the server refused the credentials/);
    expect(wrong.stdout + wrong.stderr).not.toContain("hunter2");

    const down = await runCli(["serve", "--port", "0", "--redis", `rediss://app:hunter2-secret@127.0.0.1:1`]);
    expect(down.code).toBe(1);
    expect(down.stderr).toContain("edge-kv: Redis list of stores failed on rediss://***@127.0.0.1:1: cannot reach the server");
    expect(down.stdout + down.stderr).not.toContain("hunter2");
  });

  test("a store error on a running server names the store, not the password", async () => {
    const server = await startRedis({ args: ["--requirepass", "hunter2-secret"] });
    try {
      const serving = await startCli(["serve", "--port", "0", "--redis", `redis://:hunter2-secret@127.0.0.1:${server.port}`, "--store", "s"]);
      const id = (await idOf(serving.url, "s"))!;
      await server.kill9();
      const failed = await fetch(`${serving.url}/resources/stores/kv/${id}/keys/k`, { method: "PUT", body: "v" });
      const body = await failed.text();
      expect(failed.status).toBe(503);
      expect(body).toContain("Redis store 's' (insert, key \\\"k\\\") failed on redis://***@127.0.0.1:");
      expect(body + serving.output()).not.toContain("hunter2");
    } finally {
      await server.stop();
    }
  });
});
