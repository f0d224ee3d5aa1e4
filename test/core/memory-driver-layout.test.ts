/**
 * The memory driver's compact layout (typed-array columns, values in shared slabs, slot reuse,
 * compaction) must be invisible: these rules pin what the contract suite does not reach.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MemoryDriver, type StoredRecord } from "edge-kv";
import { byUtf8Bytes } from "../contract/driver-contract.js";
import { deleteRecord, writeRecord } from "../contract/plans.js";

const enc = (text: string) => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function record(value: Uint8Array, fields: Partial<StoredRecord> = {}): StoredRecord {
  return { value, metadata: null, generation: 1, expiresAt: null, lastModified: 1_700_000_000_000, contentType: null, ...fields };
}

function filled(length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

describe("memory driver layout", () => {
  /** 4,000 values of 4 KiB (16 MiB over 64 slabs), then 90 % deleted: every slab keeps a few live values, so only compaction reclaims the dead bytes. */
  function fragmented(driver: MemoryDriver): number[] {
    for (let i = 0; i < 4000; i++) writeRecord(driver, `k${i}`, record(filled(4096, i & 0xff), { generation: i + 1, lastModified: i }), null);
    const survivors: number[] = [];
    for (let i = 0; i < 4000; i++) {
      if (i % 10 === 3) survivors.push(i);
      else expect(deleteRecord(driver, `k${i}`, i + 1)).toBe(true);
    }
    return survivors;
  }

  it("a value read before deletes, compaction and an overwrite keeps its bytes", () => {
    const driver = new MemoryDriver();
    writeRecord(driver, "kept", record(enc("first value")), null);
    const before = driver.read("kept")!.value;
    fragmented(driver);
    writeRecord(driver, "kept", record(enc("second value"), { generation: 2 }));
    expect(dec(before)).toBe("first value");
    expect(dec(driver.read("kept")!.value)).toBe("second value");
  });

  it("every surviving key reads back its exact bytes and fields after 90 % of the keys are deleted (compaction)", () => {
    const driver = new MemoryDriver();
    const survivors = fragmented(driver);
    writeRecord(driver, "one more", record(enc("x")), null);
    expect(driver.size).toBe(survivors.length + 1);
    for (const i of survivors) {
      const read = driver.read(`k${i}`)!;
      expect(read.value.byteLength).toBe(4096);
      expect(read.value.every((byte) => byte === (i & 0xff))).toBe(true);
      expect(read.generation).toBe(i + 1);
      expect(read.lastModified).toBe(i);
    }
    expect(driver.scan({ prefix: "k", limit: 10_000 }).map((item) => item.key)).toEqual(survivors.map((i) => `k${i}`).sort());
  });

  it("a hot key overwritten 3,000 times leaves every other key intact", () => {
    const driver = new MemoryDriver();
    for (let k = 0; k < 300; k++) writeRecord(driver, `key/${k}`, record(enc(`value of key ${k}`.repeat(k % 7 + 1)), { generation: k + 1 }), null);
    for (let i = 0; i < 3000; i++) writeRecord(driver, "hot", record(filled(8 * 1024, i & 0xff)));
    for (let k = 0; k < 300; k++) expect(dec(driver.read(`key/${k}`)!.value)).toBe(`value of key ${k}`.repeat(k % 7 + 1));
    expect(driver.read("hot")!.value.every((byte) => byte === (2999 & 0xff))).toBe(true);
  });

  it("stores values of 0, 16384 and 16385 bytes (slab and own-buffer sides of the size threshold) verbatim", () => {
    const driver = new MemoryDriver();
    const sizes = [0, 1, 16 * 1024, 16 * 1024 + 1, 40 * 1024];
    for (const size of sizes) writeRecord(driver, `size/${size}`, record(new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff)), null);
    for (const size of sizes) {
      const value = driver.read(`size/${size}`)!.value;
      expect(value.byteLength).toBe(size);
      expect(value).toEqual(new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff));
    }
    expect(driver.scan({ prefix: "size/", limit: 10 }).map((item) => item.size).sort((a, b) => a - b)).toEqual(sizes);
  });

  it("a slot freed by delete and reused by another key carries none of the old record's metadata, content type or expiry", () => {
    const driver = new MemoryDriver();
    writeRecord(driver, "old", record(enc("old"), { metadata: enc("meta"), contentType: "text/plain", expiresAt: 5, generation: 9 }), null);
    expect(deleteRecord(driver, "old", 9)).toBe(true);
    writeRecord(driver, "new", record(enc("new")), null);
    expect(driver.read("new")).toEqual(record(enc("new")));
    expect(driver.read("old")).toBeNull();
    expect(driver.scan({ limit: 10 })).toEqual([{ key: "new", expiresAt: null, size: 3, lastModified: 1_700_000_000_000 }]);
  });

  it("an overwrite without metadata or content type clears the previous ones", () => {
    const driver = new MemoryDriver();
    writeRecord(driver, "k", record(enc("v1"), { metadata: enc("m"), contentType: "application/json", expiresAt: 123 }), null);
    writeRecord(driver, "k", record(enc("v2"), { generation: 2 }), 1);
    expect(driver.read("k")).toEqual(record(enc("v2"), { generation: 2 }));
  });

  it("keeps 5,000 keys consistent through deletes of every other key and refills", () => {
    const driver = new MemoryDriver();
    for (let i = 0; i < 5000; i++) writeRecord(driver, `k${i}`, record(enc(`v${i}`), { generation: i + 1 }), null);
    for (let i = 1; i < 5000; i += 2) expect(deleteRecord(driver, `k${i}`, i + 1)).toBe(true);
    for (let i = 0; i < 2500; i++) writeRecord(driver, `n${i}`, record(enc(`n-value ${i}`)), null);
    expect(driver.size).toBe(5000);
    for (let i = 0; i < 5000; i += 2) expect(dec(driver.read(`k${i}`)!.value)).toBe(`v${i}`);
    for (let i = 1; i < 5000; i += 2) expect(driver.read(`k${i}`)).toBeNull();
    for (let i = 0; i < 2500; i++) expect(dec(driver.read(`n${i}`)!.value)).toBe(`n-value ${i}`);
  });

  it("clear() empties the store and later writes start fresh", () => {
    const driver = new MemoryDriver();
    for (let i = 0; i < 100; i++) writeRecord(driver, `k${i}`, record(enc(`v${i}`), { metadata: enc("m") }), null);
    driver.clear();
    expect(driver.size).toBe(0);
    expect(driver.scan({ limit: 10 })).toEqual([]);
    writeRecord(driver, "k1", record(enc("after")), null);
    expect(driver.read("k1")).toEqual(record(enc("after")));
  });
});

describe("memory driver scan order (its SortedKeys index)", () => {
  // Units around the places where UTF-16 order and UTF-8 byte order disagree.
  const unit = fc.constantFrom("a", "b", "/", "0", "é", "\uD7FF", "\u0001", "\uE000", "\uFFFD", "\u{1F600}", "\u{10000}", "z", "\u0000");
  const key = fc.array(unit, { minLength: 1, maxLength: 5 }).map((units) => units.join(""));

  it("scan() returns keys in UTF-8 byte order after any key, within a prefix, after random writes and deletes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), key), { maxLength: 400 }),
        fc.option(key, { nil: undefined }),
        fc.constantFrom("", "a", "a/", "z", "\u0000", "\uD7FF", "\uE000", "\u{1F600}", "é"),
        (operations, after, prefix) => {
          const driver = new MemoryDriver();
          const reference = new Set<string>();
          for (const [add, k] of operations) {
            if (add) {
              writeRecord(driver, k, record(enc(k)));
              reference.add(k);
            } else {
              deleteRecord(driver, k);
              reference.delete(k);
            }
          }
          const expected = [...reference]
            .sort(byUtf8Bytes)
            .filter((k) => k.startsWith(prefix) && (after === undefined || byUtf8Bytes(k, after) > 0));
          expect(driver.size).toBe(reference.size);
          expect(driver.scan({ prefix: prefix || undefined, after, limit: 1000 }).map((item) => item.key)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("scan() stops at the limit, also across index chunks of 512 keys", () => {
    const driver = new MemoryDriver();
    for (let i = 0; i < 2000; i++) writeRecord(driver, `k/${String(i).padStart(4, "0")}`, record(enc("v")), null);
    expect(driver.scan({ prefix: "k/", limit: 3 }).map((item) => item.key)).toEqual(["k/0000", "k/0001", "k/0002"]);
    expect(driver.scan({ prefix: "k/", after: "k/0999", limit: 2 }).map((item) => item.key)).toEqual(["k/1000", "k/1001"]);
    expect(driver.scan({ prefix: "k/", after: "k/0400", limit: 1000 })).toHaveLength(1000);
  });
});
