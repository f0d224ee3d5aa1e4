/**
 * Faults on a real Redis server: kill -9 with persistence on, a connection dropped while operations
 * are in flight, a full server (maxmemory), a server that stops answering, and bad input. Each gives
 * an error naming the store, the operation and the server (never the password), no record is ever
 * torn or half-written, and the same driver works again once the server does.
 */
import { afterEach, describe, expect, it } from "vitest";
import { KVRegistry, KVStore, setRegistry, getRegistry, type StoreAdmin } from "edge-kv";
import { RedisDriver, RedisStoreError, type RedisDriverOptions } from "edge-kv/redis";
import { badInputTests } from "../reliability/bad-input.js";
import { startRedis, type RedisServer } from "./servers.js";
import { freshStoreName, useRedisServer } from "./support.js";

const started: RedisServer[] = [];
const registries: KVRegistry[] = [];
const previous = getRegistry();
afterEach(async () => {
  setRegistry(previous);
  for (const registry of registries.splice(0)) await registry.reset();
  for (const server of started.splice(0)) await server.stop();
});

async function server(options: Parameters<typeof startRedis>[0] = {}): Promise<RedisServer> {
  const made = await startRedis(options);
  started.push(made);
  return made;
}

/** A store `name` on its own RedisDriver, active in a fresh registry. */
function storeOn(url: string, name: string, options: Partial<RedisDriverOptions> = {}): { admin: StoreAdmin; store: KVStore; driver: RedisDriver } {
  const registry = new KVRegistry();
  registries.push(registry);
  const driver = new RedisDriver({ url, storeName: name, ...options });
  const admin = registry.defineStore(name, { driver });
  setRegistry(registry);
  return { admin, store: new KVStore(name), driver };
}

async function failure(promise: Promise<unknown>): Promise<RedisStoreError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(RedisStoreError);
    return error as RedisStoreError;
  }
  throw new Error("expected the operation to fail");
}

const padded = (key: string, version: number) => `${key}@${version}|`.repeat(1 + (version % 40));

describe("kill -9 of the server with persistence on (AOF, fsync always)", () => {
  it("every key holds its old or its new whole record, every acknowledged write is kept, and the driver recovers after the restart", async () => {
    const redis = await server({ appendOnly: true, args: ["--requirepass", "hunter2-secret"] });
    const url = `redis://:hunter2-secret@127.0.0.1:${redis.port}`;
    const { admin } = storeOn(url, "crash", { commandTimeoutMs: 5000 });
    const keys = Array.from({ length: 12 }, (_, i) => `k${i}`);
    const acknowledged = new Map<string, number>();
    const attempted = new Map<string, number>();
    const errors: unknown[] = [];
    let version = 0;
    let acks = 0;
    let killed: Promise<void> | undefined;
    const writer = async (lane: number) => {
      for (;;) {
        const v = ++version;
        const key = keys[(v * 7 + lane) % keys.length]!;
        attempted.set(key, Math.max(attempted.get(key) ?? 0, v));
        try {
          await admin.put(key, padded(key, v), { metadata: String(v), ...(v % 3 === 0 && { ttl: 3600 }) });
        } catch (error) {
          errors.push(error);
          return;
        }
        acknowledged.set(key, Math.max(acknowledged.get(key) ?? 0, v));
        if (++acks === 300) killed = redis.kill9();
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    await killed;
    expect(errors).toHaveLength(4);
    for (const error of errors) {
      expect(error).toBeInstanceOf(RedisStoreError);
      expect((error as Error).message).toMatch(new RegExp(`^edge-kv: Redis store 'crash' \\(insert, key "k\\d+"\\) failed on redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}: `));
      expect((error as Error).message).not.toContain("hunter2");
    }

    await redis.restart();
    const present: string[] = [];
    for (const key of keys) {
      const record = await admin.inspect(key);
      if (record === null) {
        expect(acknowledged.has(key)).toBe(false);
        continue;
      }
      present.push(key);
      const v = Number(record.metadataText);
      expect(record.text).toBe(padded(key, v)); // value and metadata of the same write: never torn or mixed
      expect(v).toBeGreaterThanOrEqual(acknowledged.get(key) ?? 0);
      expect(v).toBeLessThanOrEqual(attempted.get(key)!);
    }
    const listed = (await admin.keys({ limit: 100 })).items.map((item) => item.key);
    expect(listed.sort()).toEqual(present.sort()); // the index and the records agree
    // The same driver, reconnected by itself.
    await admin.put("after", "restart");
    expect((await admin.inspect("after"))!.text).toBe("restart");
  });
});

describe("a connection dropped while operations wait for the server", () => {
  it("fails those operations with a connection error naming store, operation and key; they were not applied; the driver reconnects", async () => {
    const redis = await server();
    const { store } = storeOn(redis.url, "dropped");
    await store.put("log", "start");
    const admin = redis.client();
    // Writes are held by the server (CLIENT PAUSE WRITE) until the connection carrying them is killed.
    await admin.call("CLIENT", "PAUSE", "10000", "WRITE");
    const appends = [1, 2, 3].map((i) => store.put("log", `+${i}`, { mode: "append" }).then(() => "ok", (error: unknown) => error));
    let id: string | undefined;
    for (let attempt = 0; attempt < 500 && id === undefined; attempt++) {
      const list = (await admin.call("CLIENT", "LIST")) as string;
      id = /id=(\d+) [^\n]*name=edge-kv [^\n]*flags=\w*b/.exec(list)?.[1];
      if (id === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(id).toBeDefined();
    await admin.call("CLIENT", "KILL", "ID", id!);
    await admin.call("CLIENT", "UNPAUSE");
    const outcomes = await Promise.all(appends);
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(RedisStoreError);
      expect(["connection-lost", "unreachable"]).toContain((outcome as RedisStoreError).kind);
      expect((outcome as Error).message).toMatch(new RegExp(`^edge-kv: Redis store 'dropped' \\(insert, key "log"\\) failed on redis://127\\.0\\.0\\.1:${redis.port}: `));
    }
    expect(await (await store.get("log"))!.text()).toBe("start");
    await store.put("log", "+4", { mode: "append" });
    expect(await (await store.get("log"))!.text()).toBe("start+4");
  });
});

describe("a full server (maxmemory, noeviction)", () => {
  it("refuses writes with an error naming store, operation and key; nothing is half-written; deletes still work; writes work once there is room", async () => {
    const redis = await server({ args: ["--maxmemory-policy", "noeviction"] });
    const { admin, store } = storeOn(redis.url, "full");
    await admin.put("keep", "original", { metadata: "m0" });
    const big = "x".repeat(64 * 1024);
    for (let i = 0; i < 8; i++) await store.put(`fill-${i}`, big);
    // The server now holds more than its limit: every write that adds data is refused.
    const config = redis.client();
    await config.call("CONFIG", "SET", "maxmemory", "1mb");
    const full = await failure(store.put("new", "small"));
    expect(full.kind).toBe("full");
    expect(full.message).toBe(
      `edge-kv: Redis store 'full' (insert, key "new") failed on ${redis.url}: the server is full (maxmemory reached): nothing was written. Free memory (delete data, or let TTLs expire) or raise maxmemory — OOM command not allowed when used memory > 'maxmemory'.`,
    );
    expect(await admin.inspect("new")).toBeNull();
    expect((await admin.keys({ prefix: "new", limit: 10 })).items).toEqual([]);
    // Overwrite, append, a record with an expiry: each refused whole.
    expect((await failure(admin.put("keep", big, { metadata: "m1", ttl: 60 }))).kind).toBe("full");
    expect((await failure(store.put("keep", "more", { mode: "append" }))).kind).toBe("full");
    expect((await failure(store.put("fill-0", "small", { ttl: 60 }))).kind).toBe("full");
    expect(await admin.inspect("keep")).toMatchObject({ text: "original", metadataText: "m0", expiresAt: null });
    expect((await admin.inspect("fill-0"))!.expiresAt).toBeNull();
    // Deleting is allowed when full.
    for (let i = 1; i < 8; i++) await store.delete(`fill-${i}`);
    expect((await admin.keys({ limit: 10 })).items.map((item) => item.key)).toEqual(["fill-0", "keep"]);
    await config.call("CONFIG", "SET", "maxmemory", "0");
    await store.put("keep", "after", { mode: "append" });
    expect(await (await store.get("keep"))!.text()).toBe("originalafter");
  });
});

describe("a server that stops answering", () => {
  it("times out with an error naming store, operation and key (a write may have been applied), then answers in order again", async () => {
    const redis = await server();
    const { store } = storeOn(redis.url, "slow", { commandTimeoutMs: 300 });
    await store.put("a", "A");
    await store.put("b", "B");
    const admin = redis.client();
    await admin.call("CLIENT", "PAUSE", "1500", "ALL");
    const read = await failure(store.get("a"));
    expect(read.kind).toBe("timeout");
    expect(read.message).toBe(
      `edge-kv: Redis store 'slow' (lookup, key "a") failed on ${redis.url}: the server did not answer within 300 ms (commandTimeoutMs); it may be overloaded or blocked. If this was a write, it may or may not have been applied`,
    );
    const write = await failure(store.put("w", "late"));
    expect(write.message).toContain(`Redis store 'slow' (insert, key "w") failed on ${redis.url}: the server did not answer within 300 ms`);
    await admin.call("CLIENT", "UNPAUSE");
    // Late answers to the timed-out commands are not mistaken for answers to new ones.
    expect(await (await store.get("b"))!.text()).toBe("B");
    expect(await (await store.get("a"))!.text()).toBe("A");
    expect(await (await store.get("w"))!.text()).toBe("late"); // the timed-out write was applied after all
  });
});

describe("a server that is not there", () => {
  it("fails at once with an error saying it cannot be reached; the driver connects once it is started", async () => {
    const redis = await server();
    const { store } = storeOn(redis.url, "later");
    await redis.stop({ keepData: true });
    const error = await failure(store.put("k", "v"));
    expect(error.kind).toBe("unreachable");
    expect(error.message).toMatch(new RegExp(`^edge-kv: Redis store 'later' \\(insert, key "k"\\) failed on redis://127\\.0\\.0\\.1:${redis.port}: cannot reach the server \\(.*ECONNREFUSED.*\\)\\. The driver keeps reconnecting: retry once the server is back$`));
    await redis.restart();
    await store.put("k", "v");
    expect(await (await store.get("k"))!.text()).toBe("v");
  });
});

// Bad input through KVStore and the admin API: the documented error, and every key in the server byte-for-byte unchanged.
const shared = useRedisServer();
badInputTests(
  "redis",
  () => {
    const storeName = freshStoreName("bad-input");
    const driver = new RedisDriver({ url: shared.url, storeName });
    return { driver, cleanup: () => driver.destroy() };
  },
  {
    inputs: 120,
    dumpFiles: async () => {
      const client = shared.server.client();
      const keys = (await client.keysBuffer("*")).sort(Buffer.compare);
      const rows: string[] = [];
      for (const key of keys) rows.push(`${key.toString("hex")} ${(await client.dumpBuffer(key))!.toString("hex")}`);
      client.disconnect();
      return rows.join("\n");
    },
  },
);
