/**
 * Records as they lie in Redis (layout version 2): one string per record, head
 * "generation|expiresAt|lastModified|metadataLength|contentTypeLength|" then metadata, content type and
 * value as they are — so bytes that look like the head's separators inside them change nothing; a key's
 * info entry "generation|expiresAt|lastModified|size". Data edge-kv did not write, or wrote in layout 1,
 * is refused with what to do.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { StoredRecord, WritePlan } from "edge-kv";
import { RedisDriver, decodeRecord, encodeRecordExtras, encodeRecordTimes } from "edge-kv/redis";
import { freshStoreName, useRedisServer } from "./support.js";

const redis = useRedisServer();
const NOW = 1_800_000_000_000;
const enc = (text: string) => new TextEncoder().encode(text);
const plan = (value: Uint8Array, fields: Partial<WritePlan> = {}): WritePlan => ({
  now: NOW,
  require: "any",
  combine: "replace",
  value,
  maxValueBytes: 1000,
  metadata: null,
  expiresAt: null,
  lastModified: NOW,
  contentType: null,
  generationFloor: 10,
  freshGeneration: 12,
  ...fields,
});
const plain = (record: StoredRecord | null) =>
  record && { ...record, value: [...record.value], metadata: record.metadata && [...record.metadata] };

describe("a record is one string", () => {
  test("head, metadata, content type and value, and the key's info entry, byte for byte", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("records") });
    const admin = redis.server.client();
    await driver.write("k|1", plan(enc("va|ue"), { metadata: enc("m|5|"), contentType: "text/é|x", expiresAt: NOW + 5000 }));
    const stored = await admin.getBuffer(driver.keys.record(Buffer.from("k|1")));
    expect(stored!.toString("utf8")).toBe(`12|${NOW + 5000}|${NOW}|4|9|m|5|text/é|xva|ue`);
    expect(await admin.hget(driver.keys.keyInfo, "k|1")).toBe(`12|${NOW + 5000}|${NOW}|5`);

    await driver.write("k|1", plan(enc(""), { metadata: new Uint8Array(0), lastModified: NOW + 1 }));
    expect((await admin.getBuffer(driver.keys.record(Buffer.from("k|1"))))!.toString()).toBe(`13|${""}|${NOW + 1}|0||`);
    expect(await admin.pttl(driver.keys.record(Buffer.from("k|1")))).toBe(-1); // a SET without PX drops the old TTL
    expect(plain(await driver.read("k|1"))).toEqual({ value: [], metadata: [], generation: 13, expiresAt: null, lastModified: NOW + 1, contentType: null });
    await driver.destroy();
  });

  test("append and prepend keep the metadata and content type apart from the value, whatever bytes they hold", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("records") });
    await driver.write("k", plan(enc("|b|"), { metadata: enc("||||"), contentType: "a|b" }));
    const appended = await driver.write("k", plan(enc("c|"), { combine: "append", metadata: enc("9|9|"), contentType: null }));
    expect(appended.status === "written" && [...appended.record.value]).toEqual([...enc("|b|c|")]);
    const prepended = await driver.write("k", plan(enc("|a"), { combine: "prepend", metadata: null, contentType: "t" }));
    expect(prepended.status === "written" && [...prepended.record.value]).toEqual([...enc("|a|b|c|")]);
    expect(plain(await driver.read("k"))).toMatchObject({ value: [...enc("|a|b|c|")], metadata: null, contentType: "t" });
    await driver.destroy();
  });

  test("any value, metadata and content type reads back as written", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("records") });
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 40 }),
        fc.option(fc.uint8Array({ maxLength: 20 })),
        fc.option(fc.string({ unit: "grapheme", maxLength: 10 })),
        fc.option(fc.integer({ min: 0, max: 2 ** 52 })),
        async (value, metadata, contentType, expiresAt) => {
          const written = await driver.write("k", plan(value, { metadata, contentType, expiresAt: expiresAt === null ? null : NOW + expiresAt }));
          expect(written.status).toBe("written");
          const read = await driver.read("k");
          expect(plain(read)).toEqual(plain(written.status === "written" ? written.record : null));
          // The pure codec agrees with what the script wrote.
          const head = `${read!.generation}|${encodeRecordTimes(read!.expiresAt, read!.lastModified)}`;
          const extras = encodeRecordExtras(metadata, contentType);
          const bytes = Buffer.concat([Buffer.from(head), Buffer.from(extras as Uint8Array | string), value]);
          expect(plain(decodeRecord(bytes) ?? null)).toEqual(plain(read));
        },
      ),
      { numRuns: 60 },
    );
    await driver.destroy();
  });
});

describe("data edge-kv did not write", () => {
  test("a record key holding a hash (layout 1, or another program) or a string not in the format is refused, naming the key", async () => {
    const driver = new RedisDriver({ url: redis.url, storeName: freshStoreName("foreign") });
    const admin = redis.server.client();
    await driver.write("ok", plan(enc("v")));
    await admin.hset(driver.keys.record(Buffer.from("hash")), "v", "x", "g", "1");
    await admin.set(driver.keys.record(Buffer.from("text")), "hello");
    const prefix = `redis://127.0.0.1:${redis.server.port}: ${driver.keys.recordPrefixText}`;
    await expect(driver.read("hash")).rejects.toThrow(`${prefix}hash is not an edge-kv record (not a string); another program wrote to edge-kv's keys. Delete that key, or give edge-kv another prefix`);
    await expect(driver.read("text")).rejects.toThrow(`${prefix}text is not an edge-kv record (a string not in edge-kv's record format); another program`);
    expect(decodeRecord(Buffer.from("1|2|3|-1||x"))).toBeUndefined();
    expect(decodeRecord(Buffer.from("1||3|9||short"))).toBeUndefined();
    expect(decodeRecord(Buffer.from("|||||"))).toBeUndefined();
    await driver.destroy();
  });

  test("a store laid out by another version is refused at open, with what to do", async () => {
    const storeName = freshStoreName("v1");
    const driver = new RedisDriver({ url: redis.url, storeName });
    await redis.server.client().hset(driver.keys.meta, "format", "edge-kv/redis", "version", "1", "name", storeName);
    await expect(driver.read("k")).rejects.toThrow(
      `says {"format":"edge-kv/redis","version":"1","name":"${storeName}"}, but this edge-kv writes {"format":"edge-kv/redis","version":"2","name":"${storeName}"}. Use the edge-kv version that wrote the store, or another prefix`,
    );
    await redis.server.client().del(driver.keys.meta);
    await driver.close();
  });
});
