/**
 * The Redis driver's kill -9 check (faults.test.ts) with the adversarial keys of the filesystem crash
 * test (../node/children/crash-pattern.ts): after the server is killed and restarted from its AOF, each
 * key holds the value and metadata of one write (metadata bytes exact), every acknowledged write is
 * kept, and the index lists exactly the keys present, none confused with another.
 */
import { afterAll, describe, expect, it } from "vitest";
import { KVRegistry } from "edge-kv";
import { RedisDriver, RedisStoreError } from "edge-kv/redis";
import { ODD_KEYS, metadataFor } from "../node/children/crash-pattern.js";
import { startRedis, type RedisServer } from "./servers.js";

let redis: RedisServer | undefined;
const registry = new KVRegistry();
afterAll(async () => {
  await registry.reset();
  await redis?.stop();
});

const KEYS = [...ODD_KEYS, "alpha", "a\u0000", "a"];
const valueOf = (index: number, v: number) => `${index}@${v}|\uFEFF`.repeat(1 + (v % 40));

describe("kill -9 of the server with persistence on, adversarial keys", () => {
  it("every key holds its old or new whole record with exact metadata bytes; acknowledged writes are kept", async () => {
    redis = await startRedis({ appendOnly: true });
    const admin = registry.defineStore("odd", { driver: new RedisDriver({ url: redis.url, storeName: "odd\uFEFF", commandTimeoutMs: 5000 }) });
    const acknowledged = new Map<number, number>();
    const attempted = new Map<number, number>();
    const errors: unknown[] = [];
    let version = 0;
    let acks = 0;
    let killed: Promise<void> | undefined;
    const writer = async (lane: number) => {
      for (;;) {
        const v = ++version;
        const index = (v * 7 + lane) % KEYS.length;
        attempted.set(index, Math.max(attempted.get(index) ?? 0, v));
        try {
          await admin.put(KEYS[index]!, valueOf(index, v), { metadata: metadataFor(v, true) });
        } catch (error) {
          errors.push(error);
          return;
        }
        acknowledged.set(index, Math.max(acknowledged.get(index) ?? 0, v));
        if (++acks === 200) killed = redis!.kill9();
      }
    };
    await Promise.all([0, 1, 2, 3].map(writer));
    await killed;
    expect(errors).toHaveLength(4);
    for (const error of errors) expect(error).toBeInstanceOf(RedisStoreError);

    await redis.restart();
    const present: string[] = [];
    for (const [index, key] of KEYS.entries()) {
      const record = await admin.inspect(key);
      if (record === null) {
        expect(acknowledged.has(index), `key ${index}`).toBe(false);
        continue;
      }
      present.push(key);
      const v = Number(record.metadataText!.slice(1, -2));
      expect(record.metadataText, `key ${index}`).toBe(metadataFor(v, true));
      expect(record.text, `key ${index}`).toBe(valueOf(index, v));
      expect(v).toBeGreaterThanOrEqual(acknowledged.get(index) ?? 0);
      expect(v).toBeLessThanOrEqual(attempted.get(index)!);
    }
    const listed = (await admin.keys({ limit: 100 })).items.map((item) => item.key);
    expect(listed).toEqual(present.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});
