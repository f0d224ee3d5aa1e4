/**
 * The memory driver's optional snapshot capability (copy-on-write per key) and its lazily merged
 * ordered index: both must be invisible except for their cost.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryDriver, type KVDriver, type StoredRecord, type WritePlan } from "edge-kv";
import { byUtf8Bytes } from "../contract/driver-contract.js";

const enc = (text: string) => new TextEncoder().encode(text);

function plan(value: string, fields: Partial<WritePlan> = {}): WritePlan {
  return {
    now: 1000,
    require: "any",
    combine: "replace",
    value: enc(value),
    maxValueBytes: 1 << 20,
    metadata: null,
    expiresAt: null,
    lastModified: 1,
    contentType: null,
    generationFloor: 1,
    freshGeneration: 1,
    ...fields,
  };
}

/** Everything a driver holds, in order, as plain data. */
function dump(driver: KVDriver) {
  const out: Record<string, unknown> = {};
  for (const item of driver.scan({ limit: 1 << 20 }) as ReturnType<MemoryDriver["scan"]>) {
    const record = driver.read(item.key) as StoredRecord;
    out[item.key] = { ...record, value: Array.from(record.value), metadata: record.metadata && Array.from(record.metadata), scanned: item };
  }
  return out;
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant("put" as const), key: fc.integer({ min: 0, max: 40 }), value: fc.string({ maxLength: 30 }), mode: fc.constantFrom("replace", "append", "prepend") as fc.Arbitrary<WritePlan["combine"]>, ttl: fc.boolean(), meta: fc.boolean() }),
  fc.record({ kind: fc.constant("delete" as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant("purge" as const), key: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ kind: fc.constant("scan" as const) }),
  fc.record({ kind: fc.constant("clear" as const) }),
);
type Operation = typeof operation extends fc.Arbitrary<infer T> ? T : never;

function apply(driver: MemoryDriver, op: Operation, step: number): void {
  const key = "key" in op ? `k/${op.key}` : "";
  if (op.kind === "put") {
    driver.write(key, plan(op.value, { combine: op.mode, expiresAt: op.ttl ? 500 + step : null, metadata: op.meta ? enc(`m${step}`) : null, contentType: op.meta ? "text/plain" : null, lastModified: step, generationFloor: step + 1 }));
  } else if (op.kind === "delete") driver.delete(key, { now: 1000, require: "any" });
  else if (op.kind === "purge") driver.delete(key, { now: 1000, require: "expired" });
  else if (op.kind === "scan") driver.scan({ limit: 10 });
  else if (op.kind === "clear" && step % 7 === 0) driver.clear();
}

describe("MemoryDriver snapshot / restore", () => {
  it("undoes overwrites, new keys, deletes, purges and clear, exactly, and can be restored again", () => {
    const driver = new MemoryDriver();
    driver.write("a", plan("A", { metadata: enc("meta"), contentType: "text/csv", expiresAt: 5000, lastModified: 7, generationFloor: 70, freshGeneration: 70 }));
    driver.write("b", plan("B", { expiresAt: 10 })); // expired at now = 1000
    driver.write("c", plan("C"));
    const before = dump(driver);
    const snapshot = driver.snapshot();
    driver.write("a", plan("changed", { combine: "append" }));
    driver.write("new", plan("N"));
    driver.delete("c", { now: 1000, require: "any" });
    driver.delete("b", { now: 1000, require: "expired" });
    expect(dump(driver)).not.toEqual(before);
    driver.restore(snapshot);
    expect(dump(driver)).toEqual(before);
    expect(driver.size).toBe(3);
    driver.clear();
    driver.write("z", plan("Z"));
    driver.restore(snapshot);
    expect(dump(driver)).toEqual(before);
    driver.restore(snapshot); // nothing changed since: a no-op
    expect(dump(driver)).toEqual(before);
  });

  it("restores the state of any random sequence of operations (property)", () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 60 }), fc.array(operation, { maxLength: 60 }), (setup, test) => {
        const driver = new MemoryDriver();
        setup.forEach((op, i) => apply(driver, op, i));
        const before = dump(driver);
        const snapshot = driver.snapshot();
        test.forEach((op, i) => apply(driver, op, 100 + i));
        driver.restore(snapshot);
        expect(dump(driver)).toEqual(before);
        test.forEach((op, i) => apply(driver, op, 200 + i));
        driver.restore(snapshot);
        expect(dump(driver)).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it("restores without touching keys nobody changed", () => {
    const driver = new MemoryDriver();
    for (let i = 0; i < 1000; i++) driver.write(`seed/${i}`, plan(`v${i}`));
    const snapshot = driver.snapshot();
    driver.write("seed/5", plan("changed"));
    const seen = driver.read("seed/6")!;
    driver.restore(snapshot);
    expect(new TextDecoder().decode(driver.read("seed/5")!.value)).toBe("v5");
    expect(driver.read("seed/6")!.value.buffer).toBe(seen.value.buffer); // untouched: same storage
  });

  it("refuses a snapshot that is not current or not its own", () => {
    const driver = new MemoryDriver();
    const first = driver.snapshot();
    driver.snapshot();
    expect(() => driver.restore(first)).toThrow("edge-kv: MemoryDriver.restore: this snapshot is no longer current (a driver keeps only its latest snapshot)");
    expect(() => driver.restore(new MemoryDriver().snapshot())).toThrow("edge-kv: MemoryDriver.restore: the snapshot was not taken by this driver");
  });
});

describe("MemoryDriver lazy ordered index", () => {
  it("scans exactly while writes, deletes and scans interleave, in bulk and one by one", () => {
    const unit = fc.constantFrom("a", "b", "/", "é", "\uE000", "\u{1F600}", "z");
    const key = fc.array(unit, { minLength: 1, maxLength: 4 }).map((units) => units.join(""));
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("add", "add", "add", "delete", "scan"), key), { maxLength: 700 }), (operations) => {
        const driver = new MemoryDriver();
        const reference = new Set<string>();
        for (const [kind, k] of operations) {
          if (kind === "add") {
            driver.write(k, plan(k));
            reference.add(k);
          } else if (kind === "delete") {
            driver.delete(k, { now: 0, require: "any" });
            reference.delete(k);
          } else {
            expect(driver.scan({ limit: 100_000 }).map((item) => item.key)).toEqual([...reference].sort(byUtf8Bytes));
          }
        }
        expect(driver.scan({ limit: 100_000 }).map((item) => item.key)).toEqual([...reference].sort(byUtf8Bytes));
        expect(driver.scan({ prefix: "a", limit: 100_000 }).map((item) => item.key)).toEqual([...reference].filter((k) => k.startsWith("a")).sort(byUtf8Bytes));
      }),
      { numRuns: 150 },
    );
  });

  it("merges a large batch of new keys into a large index in order", () => {
    const driver = new MemoryDriver();
    const keys = Array.from({ length: 5000 }, (_, i) => `k/${String((i * 7919) % 5000).padStart(5, "0")}`);
    for (const k of keys.slice(0, 2500)) driver.write(k, plan("v"));
    expect(driver.scan({ limit: 10 })).toHaveLength(10);
    for (const k of keys.slice(2500)) driver.write(k, plan("v"));
    driver.delete(keys[2600]!, { now: 0, require: "any" });
    const listed = driver.scan({ limit: 100_000 }).map((item) => item.key);
    expect(listed).toEqual(keys.filter((_, i) => i !== 2600).sort());
  });
});
