/**
 * The Redis key layout and connection URLs, without a server: store tags are one-to-one and never
 * contain a brace, two stores never share a key, a store's keys cannot be named inside another's,
 * and URLs are read (and shown) without their credentials.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { EdgeKvError } from "edge-kv";
import { RedisConnection, RedisDriver, StoreKeys, parseRedisUrl, redactUrl, redisStores, storeNameFromTag, storeTag } from "edge-kv/redis";

describe("store tags", () => {
  test.each([
    ["sessions", "sessions"],
    ["My-Store_1.v2", "My-Store_1.v2"],
    ["a:b", "a%3Ab"],
    ["{x}", "%7Bx%7D"],
    ["}", "%7D"],
    ["50%", "50%25"],
    ["a b", "a%20b"],
    ["é", "%C3%A9"],
    ["\u{1F600}", "%F0%9F%98%80"],
  ])("%j → %s", (name, tag) => {
    expect(storeTag(name)).toBe(tag);
    expect(storeNameFromTag(tag)).toBe(name);
  });

  test("every well-formed name round-trips, and its tag has no brace, colon or space", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }), (name) => {
        const tag = storeTag(name);
        expect(tag).toMatch(/^[A-Za-z0-9\-_.%]+$/);
        expect(storeNameFromTag(tag)).toBe(name);
      }),
      { numRuns: 500 },
    );
  });

  test("two different stores share no key, and no record key of one is another key of the other", () => {
    const keyBytes = fc.string({ unit: "grapheme", minLength: 1, maxLength: 12 }).map((key) => Buffer.from(key, "utf8"));
    const tricky = fc.constantFrom("a", "a}", "{a}", "a:r:b", "a}:r:", "}:k", "%", "%25", ":", "{", "k");
    fc.assert(
      fc.property(fc.oneof(tricky, fc.string({ minLength: 1, maxLength: 8 })), fc.oneof(tricky, fc.string({ minLength: 1, maxLength: 8 })), keyBytes, keyBytes, (a, b, k1, k2) => {
        fc.pre(a !== b);
        const one = new StoreKeys("edge-kv", a);
        const two = new StoreKeys("edge-kv", b);
        const ofOne = [one.meta, one.index, one.keyInfo, one.record(k1), one.record(k2)].map((key) => key.toString("latin1"));
        const ofTwo = [two.meta, two.index, two.keyInfo, two.record(k1), two.record(k2)].map((key) => key.toString("latin1"));
        for (const key of ofOne) expect(ofTwo).not.toContain(key);
        // The hash tag (first '{' to the first '}' after it) is the store's, whatever the key holds.
        for (const key of [...ofOne]) expect(/\{([^}]*)\}/.exec(key)![1]).toBe(storeTag(a));
      }),
      { numRuns: 300 },
    );
  });

  test("a record key is the prefix, the tag, ':r:' and the key's UTF-8 bytes", () => {
    const keys = new StoreKeys("edge-kv", "my store");
    expect(keys.record(Buffer.from("user:{1}/é")).toString("utf8")).toBe("edge-kv:{my%20store}:r:user:{1}/é");
    expect([keys.meta, keys.index, keys.keyInfo].map(String)).toEqual(["edge-kv:{my%20store}:m", "edge-kv:{my%20store}:k", "edge-kv:{my%20store}:s"]);
    expect(keys.stores).toBe("edge-kv:stores");
  });

  test.each([["a{b"], ["a}b"], ["has space"], [""], ["x".repeat(65)], [7]])("prefix %j is refused", (prefix) => {
    expect(() => new RedisDriver({ storeName: "s", prefix: prefix as string })).toThrow(
      new EdgeKvError(
        `RedisDriver: prefix must be 1 to 64 printable ASCII characters without spaces, '{' or '}' (they would change the cluster hash slot), got ${JSON.stringify(prefix)}`,
      ),
    );
  });

  test("bad driver options are refused with what to pass", () => {
    expect(() => new RedisDriver({ storeName: "" })).toThrow('edge-kv: RedisDriver: storeName must be a non-empty string (the store\'s keys live under it), got ""');
    expect(() => new RedisDriver({ storeName: "s", expiryGraceMs: -1 })).toThrow("edge-kv: RedisDriver: expiryGraceMs must be a number of milliseconds ≥ 0, got -1");
    expect(() => new RedisDriver({ storeName: "s", commandTimeoutMs: 0 })).toThrow("edge-kv: Redis: commandTimeoutMs must be a positive number of milliseconds, got 0");
    expect(() => redisStores("")).toThrow("edge-kv: redisStores: url must be a redis:// URL string, got an empty string");
  });
});

describe("connection URLs", () => {
  test("single server, with credentials, database and TLS", () => {
    expect(parseRedisUrl("redis://kv:6380/2")).toEqual({ tls: false, nodes: [{ host: "kv", port: 6380 }], username: undefined, password: undefined, db: 2, safe: "redis://kv:6380/2" });
    expect(parseRedisUrl("rediss://app:p%40ss:w0rd@kv.example")).toEqual({
      tls: true,
      nodes: [{ host: "kv.example", port: 6379 }],
      username: "app",
      password: "p@ss:w0rd",
      db: 0,
      safe: "rediss://***@kv.example:6379",
    });
    expect(parseRedisUrl("redis://:secret@[::1]:7000")).toMatchObject({ nodes: [{ host: "::1", port: 7000 }], username: undefined, password: "secret", safe: "redis://***@[::1]:7000" });
    expect(parseRedisUrl("valkeys://secret@h:1")).toMatchObject({ tls: true, password: "secret", safe: "valkeys://***@h:1" });
  });

  test("cluster seed nodes, with or without a repeated scheme", () => {
    const nodes = [
      { host: "127.0.0.1", port: 7000 },
      { host: "127.0.0.1", port: 7001 },
    ];
    expect(parseRedisUrl("redis://127.0.0.1:7000,127.0.0.1:7001").nodes).toEqual(nodes);
    expect(parseRedisUrl("redis://u:pw@127.0.0.1:7000,redis://127.0.0.1:7001")).toMatchObject({ nodes, password: "pw", safe: "redis://***@127.0.0.1:7000,127.0.0.1:7001" });
  });

  test("a malformed URL is refused without showing its password", () => {
    for (const url of ["http://user:hunter2@kv:6379", "redis://user:hunter2@kv:99999", "redis://user:hunter2@kv:1,kv:2/3", "redis://user:hunter2%zz@kv"]) {
      let message = "";
      try {
        parseRedisUrl(url);
      } catch (error) {
        expect(error).toBeInstanceOf(EdgeKvError);
        message = (error as Error).message;
      }
      expect(message).toMatch(/^edge-kv: Redis: /);
      expect(message).not.toContain("hunter2");
    }
    expect(redactUrl("redis://user:hunter2@kv:6379/1")).toBe("redis://***@kv:6379/1");
  });

  test("the driver's description and the connection's URL carry no credentials", () => {
    const driver = new RedisDriver({ url: "redis://admin:hunter2@127.0.0.1:6379", storeName: "s" });
    expect(driver.description).toBe("redis:redis://***@127.0.0.1:6379 store 's'");
    expect(new RedisConnection({ url: "rediss://:hunter2@h" }).safeUrl).toBe("rediss://***@h:6379");
  });
});
