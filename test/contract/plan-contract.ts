/**
 * The plan half of the driver contract (v2): every branch of WritePlan and DeletePlan evaluation,
 * checked through the driver's own `write` and `delete` and read back with `read` and `scan`. A driver
 * that evaluates plans elsewhere than src/drivers/plan.ts (a Lua script on a Redis server) is held to
 * exactly the same outcomes. Generations are checked as lower bounds, since a driver may issue larger ones.
 */
import { describe, expect, it } from "vitest";
import type { DeletePlan, KVDriver, StoredRecord, WritePlan, WriteResult } from "edge-kv";

const enc = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The time every plan here is evaluated at. */
const NOW = 1_700_000_000_000;
const PAST = NOW - 60_000;
const FUTURE = NOW + 60_000;

/** A write plan at NOW: unconditional replace of `value`, no expiry, small generations. */
export function plan(value: string | Uint8Array, fields: Partial<WritePlan> = {}): WritePlan {
  return {
    now: NOW,
    require: "any",
    combine: "replace",
    value: typeof value === "string" ? enc(value) : value,
    maxValueBytes: 1024,
    metadata: null,
    expiresAt: null,
    lastModified: NOW - 1,
    contentType: null,
    generationFloor: 10,
    freshGeneration: 1000,
    ...fields,
  };
}

const del = (require: DeletePlan["require"], now = NOW): DeletePlan => ({ now, require });

function written(result: WriteResult): StoredRecord {
  expect(result.status).toBe("written");
  if (result.status !== "written") throw new Error("not written");
  return result.record;
}

function plain(stored: StoredRecord | null) {
  if (stored === null) return null;
  return { ...stored, value: Array.from(stored.value), metadata: stored.metadata === null ? null : Array.from(stored.metadata) };
}

export function describePlanContract(fresh: () => Promise<KVDriver>) {
  /** A driver holding `key` with a record written by an unconditional plan; returns the record as stored. */
  const withRecord = async (key: string, value: string, fields: Partial<WritePlan> = {}) => {
    const driver = await fresh();
    const stored = written(await driver.write(key, plan(value, fields)));
    return { driver, stored };
  };
  const live = (value = "old") => withRecord("k", value, { expiresAt: FUTURE, generationFloor: 50, freshGeneration: 50 });
  const expired = (value = "old") => withRecord("k", value, { expiresAt: PAST, now: PAST - 1, generationFloor: 50, freshGeneration: 50 });

  describe("write plans", () => {
    it("stores every field of the plan and returns the record exactly as read back", async () => {
      const driver = await fresh();
      const stored = written(
        await driver.write("k", plan(new Uint8Array([0, 255, 7]), { metadata: new Uint8Array([1, 0, 2]), expiresAt: FUTURE, lastModified: 123, contentType: "text/csv" })),
      );
      expect(plain(stored)).toEqual({ value: [0, 255, 7], metadata: [1, 0, 2], generation: stored.generation, expiresAt: FUTURE, lastModified: 123, contentType: "text/csv" });
      expect(plain(await driver.read("k"))).toEqual(plain(stored));
    });

    describe("require", () => {
      it('"any" writes over nothing, a live record and an expired one', async () => {
        const driver = await fresh();
        expect(text(written(await driver.write("k", plan("one"))).value)).toBe("one");
        expect(text(written(await driver.write("k", plan("two"))).value)).toBe("two");
        await driver.write("k", plan("gone", { expiresAt: PAST }));
        expect(text(written(await driver.write("k", plan("three"))).value)).toBe("three");
        expect(text((await driver.read("k"))!.value)).toBe("three");
      });

      it('"absent" writes when the key has no record', async () => {
        const driver = await fresh();
        expect(text(written(await driver.write("k", plan("v", { require: "absent" }))).value)).toBe("v");
      });

      it('"absent" fails on a live record and changes nothing', async () => {
        const { driver, stored } = await live();
        expect(await driver.write("k", plan("new", { require: "absent" }))).toEqual({ status: "precondition-failed" });
        expect(plain(await driver.read("k"))).toEqual(plain(stored));
      });

      it('"absent" treats an expired record as absent', async () => {
        const { driver } = await expired();
        expect(text(written(await driver.write("k", plan("new", { require: "absent" }))).value)).toBe("new");
      });

      it("a record expiring exactly at `now` is expired", async () => {
        const { driver } = await withRecord("k", "old", { expiresAt: NOW });
        expect(text(written(await driver.write("k", plan("new", { require: "absent" }))).value)).toBe("new");
      });

      it("a generation writes when the live record has it", async () => {
        const { driver, stored } = await live();
        const record = written(await driver.write("k", plan("new", { require: { generation: stored.generation, orAbsent: false } })));
        expect(text(record.value)).toBe("new");
      });

      it("a generation fails on a live record with another generation, and changes nothing", async () => {
        const { driver, stored } = await live();
        for (const generation of [stored.generation - 1, stored.generation + 1]) {
          expect(await driver.write("k", plan("new", { require: { generation, orAbsent: false } }))).toEqual({ status: "precondition-failed" });
        }
        expect(plain(await driver.read("k"))).toEqual(plain(stored));
      });

      it("a generation fails on a missing key, and writes nothing", async () => {
        const driver = await fresh();
        expect(await driver.write("k", plan("new", { require: { generation: 1000, orAbsent: false } }))).toEqual({ status: "precondition-failed" });
        expect(await driver.read("k")).toBeNull();
        expect(await driver.scan({ limit: 10 })).toEqual([]);
      });

      it("a generation fails on an expired record, even one with that generation", async () => {
        const { driver, stored } = await expired();
        expect(await driver.write("k", plan("new", { require: { generation: stored.generation, orAbsent: false } }))).toEqual({ status: "precondition-failed" });
        expect(plain(await driver.read("k"))).toEqual(plain(stored));
      });

      it("a generation with orAbsent writes to a missing key or over an expired record", async () => {
        const driver = await fresh();
        expect(text(written(await driver.write("k", plan("a", { require: { generation: 999, orAbsent: true } }))).value)).toBe("a");
        const { driver: other } = await expired();
        expect(text(written(await other.write("k", plan("b", { require: { generation: 999, orAbsent: true } }))).value)).toBe("b");
      });

      it("a generation with orAbsent still fails on a live record with another generation", async () => {
        const { driver, stored } = await live();
        expect(await driver.write("k", plan("new", { require: { generation: stored.generation + 1, orAbsent: true } }))).toEqual({ status: "precondition-failed" });
        expect(written(await driver.write("k", plan("new", { require: { generation: stored.generation, orAbsent: true } }))).generation).toBeGreaterThan(stored.generation);
      });
    });

    describe("combine", () => {
      it("append and prepend join the live value", async () => {
        const { driver } = await live("mid");
        expect(text(written(await driver.write("k", plan("+end", { combine: "append" }))).value)).toBe("mid+end");
        expect(text(written(await driver.write("k", plan("start+", { combine: "prepend" }))).value)).toBe("start+mid+end");
        expect(text((await driver.read("k"))!.value)).toBe("start+mid+end");
      });

      it("append and prepend to a missing key store the value alone", async () => {
        const driver = await fresh();
        expect(text(written(await driver.write("a", plan("x", { combine: "append" }))).value)).toBe("x");
        expect(text(written(await driver.write("p", plan("y", { combine: "prepend" }))).value)).toBe("y");
      });

      it("append and prepend ignore an expired record's value", async () => {
        const { driver } = await expired("stale");
        expect(text(written(await driver.write("k", plan("fresh", { combine: "append" }))).value)).toBe("fresh");
        await driver.write("k", plan("stale", { expiresAt: PAST }));
        expect(text(written(await driver.write("k", plan("fresh", { combine: "prepend" }))).value)).toBe("fresh");
      });

      it("combine keeps binary bytes exact", async () => {
        const { driver } = await withRecord("k", "", { value: new Uint8Array([0, 255]) });
        const record = written(await driver.write("k", plan(new Uint8Array([128, 0]), { combine: "append" })));
        expect(Array.from(record.value)).toEqual([0, 255, 128, 0]);
        expect(Array.from((await driver.read("k"))!.value)).toEqual([0, 255, 128, 0]);
      });

      it("the new metadata, expiry and content type replace the old ones", async () => {
        const { driver } = await withRecord("k", "a", { metadata: enc("old"), contentType: "text/plain", expiresAt: FUTURE });
        const record = written(await driver.write("k", plan("b", { combine: "append", metadata: null, contentType: null, expiresAt: null })));
        expect(plain(await driver.read("k"))).toEqual(plain(record));
        expect(record.metadata).toBeNull();
        expect(record.contentType).toBeNull();
        expect(record.expiresAt).toBeNull();
      });
    });

    describe("size limit", () => {
      it("a value over maxValueBytes is too large and nothing is written", async () => {
        const driver = await fresh();
        expect(await driver.write("k", plan("12345", { maxValueBytes: 4 }))).toEqual({ status: "too-large" });
        expect(await driver.read("k")).toBeNull();
        expect(await driver.scan({ limit: 10 })).toEqual([]);
      });

      it("a value of exactly maxValueBytes is written", async () => {
        const driver = await fresh();
        expect(written(await driver.write("k", plan("1234", { maxValueBytes: 4 }))).value.byteLength).toBe(4);
      });

      it("the limit applies to the combined value, and a refused append leaves the record as it was", async () => {
        const { driver, stored } = await live("abc");
        expect(await driver.write("k", plan("de", { combine: "append", maxValueBytes: 4 }))).toEqual({ status: "too-large" });
        expect(await driver.write("k", plan("de", { combine: "prepend", maxValueBytes: 4 }))).toEqual({ status: "too-large" });
        expect(plain(await driver.read("k"))).toEqual(plain(stored));
        expect(text(written(await driver.write("k", plan("d", { combine: "append", maxValueBytes: 4 }))).value)).toBe("abcd");
      });

      it("appending to an expired record counts the new value alone", async () => {
        const { driver } = await expired("abc");
        expect(text(written(await driver.write("k", plan("de", { combine: "append", maxValueBytes: 2 }))).value)).toBe("de");
      });

      it("the requirement is checked before the size", async () => {
        const { driver } = await live();
        expect(await driver.write("k", plan("too long", { require: "absent", maxValueBytes: 2 }))).toEqual({ status: "precondition-failed" });
      });
    });

    describe("generation", () => {
      it("a key with no record gets at least freshGeneration", async () => {
        const driver = await fresh();
        const record = written(await driver.write("k", plan("v", { generationFloor: 5, freshGeneration: 777 })));
        expect(record.generation).toBeGreaterThanOrEqual(777);
        expect(Number.isSafeInteger(record.generation)).toBe(true);
        expect((await driver.read("k"))!.generation).toBe(record.generation);
      });

      it("over a record, at least the floor when the floor is higher", async () => {
        const { driver, stored } = await live();
        const record = written(await driver.write("k", plan("v", { generationFloor: stored.generation + 500, freshGeneration: 1 })));
        expect(record.generation).toBeGreaterThanOrEqual(stored.generation + 500);
        expect((await driver.read("k"))!.generation).toBe(record.generation);
      });

      it("over a record, at least the existing generation + 1 when the floor is lower", async () => {
        const { driver, stored } = await live();
        const record = written(await driver.write("k", plan("v", { generationFloor: 1, freshGeneration: 1 })));
        expect(record.generation).toBeGreaterThanOrEqual(stored.generation + 1);
      });

      it("over an expired record, above that record's generation (it still exists)", async () => {
        const { driver, stored } = await expired();
        const record = written(await driver.write("k", plan("v", { generationFloor: 1, freshGeneration: 1 })));
        expect(record.generation).toBeGreaterThanOrEqual(stored.generation + 1);
      });

      it("strictly increases over successive writes with the same plan", async () => {
        const driver = await fresh();
        let previous = 0;
        for (let i = 0; i < 5; i++) {
          const record = written(await driver.write("k", plan(`v${i}`, { combine: i % 2 ? "append" : "replace" })));
          expect(record.generation).toBeGreaterThan(previous);
          previous = record.generation;
        }
      });
    });

    describe("atomicity", () => {
      it('exactly one of many concurrent "absent" writes wins', async () => {
        const driver = await fresh();
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => driver.write("race", plan(`w${i}`, { require: "absent" }))));
        const winners = results.filter((result) => result.status === "written");
        expect(winners).toHaveLength(1);
        expect(text((await driver.read("race"))!.value)).toBe(text((winners[0] as { record: StoredRecord }).record.value));
      });

      it("concurrent appends lose nothing", async () => {
        const driver = await fresh();
        await Promise.all(Array.from({ length: 12 }, (_, i) => driver.write("log", plan(String.fromCharCode(97 + i), { combine: "append" }))));
        const value = text((await driver.read("log"))!.value);
        expect([...value].sort().join("")).toBe("abcdefghijkl");
      });

      it("of concurrent writes requiring the same generation, exactly one wins", async () => {
        const { driver, stored } = await live();
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => driver.write("k", plan(`w${i}`, { require: { generation: stored.generation, orAbsent: false } }))),
        );
        expect(results.filter((result) => result.status === "written")).toHaveLength(1);
      });
    });
  });

  describe("delete plans", () => {
    it('"any" on a missing key is absent', async () => {
      const driver = await fresh();
      expect(await driver.delete("k", del("any"))).toEqual({ status: "absent" });
    });

    it('"any" removes a live record (wasLive true) and an expired one (wasLive false)', async () => {
      const { driver } = await live();
      expect(await driver.delete("k", del("any"))).toEqual({ status: "deleted", wasLive: true });
      expect(await driver.read("k")).toBeNull();
      const { driver: other } = await expired();
      expect(await other.delete("k", del("any"))).toEqual({ status: "deleted", wasLive: false });
      expect(await other.read("k")).toBeNull();
      expect(await other.scan({ limit: 10 })).toEqual([]);
    });

    it('"expired" removes an expired record only', async () => {
      const { driver } = await expired();
      expect(await driver.delete("k", del("expired"))).toEqual({ status: "deleted", wasLive: false });
      expect(await driver.read("k")).toBeNull();
      expect(await driver.delete("k", del("expired"))).toEqual({ status: "absent" });
    });

    it('"expired" keeps a live record (precondition-failed)', async () => {
      const { driver, stored } = await live();
      expect(await driver.delete("k", del("expired"))).toEqual({ status: "precondition-failed" });
      expect(plain(await driver.read("k"))).toEqual(plain(stored));
      // Expired by a later `now`: removed then.
      expect(await driver.delete("k", del("expired", FUTURE))).toEqual({ status: "deleted", wasLive: false });
    });

    it("a generation removes the live record that has it", async () => {
      const { driver, stored } = await live();
      expect(await driver.delete("k", del({ generation: stored.generation, orAbsent: false }))).toEqual({ status: "deleted", wasLive: true });
      expect(await driver.read("k")).toBeNull();
    });

    it("a generation keeps a live record with another generation", async () => {
      const { driver, stored } = await live();
      expect(await driver.delete("k", del({ generation: stored.generation + 1, orAbsent: true }))).toEqual({ status: "precondition-failed" });
      expect(plain(await driver.read("k"))).toEqual(plain(stored));
    });

    it("a generation fails on a missing key and on an expired record (kept as it was)", async () => {
      const driver = await fresh();
      expect(await driver.delete("k", del({ generation: 5, orAbsent: false }))).toEqual({ status: "precondition-failed" });
      const { driver: other, stored } = await expired();
      expect(await other.delete("k", del({ generation: stored.generation, orAbsent: false }))).toEqual({ status: "precondition-failed" });
      expect(plain(await other.read("k"))).toEqual(plain(stored));
    });

    it("a generation with orAbsent: a missing key is absent, an expired record is removed", async () => {
      const driver = await fresh();
      expect(await driver.delete("k", del({ generation: 5, orAbsent: true }))).toEqual({ status: "absent" });
      const { driver: other } = await expired();
      expect(await other.delete("k", del({ generation: 5, orAbsent: true }))).toEqual({ status: "deleted", wasLive: false });
      expect(await other.read("k")).toBeNull();
    });

    it("a deleted key can be written again and gets a fresh generation", async () => {
      const { driver } = await live();
      await driver.delete("k", del("any"));
      const record = written(await driver.write("k", plan("again", { require: "absent", generationFloor: 1, freshGeneration: 4242 })));
      expect(record.generation).toBeGreaterThanOrEqual(4242);
    });
  });
}
