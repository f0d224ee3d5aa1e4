/**
 * The driver contract suite. Every driver's test file calls `describeDriverContract(name, factory)`;
 * the same assertions then prove the memory, filesystem and IndexedDB drivers alike. The factory is
 * called once per test and must return an empty driver; `reopen`, when given, returns a new driver on
 * the same underlying data (for persistence checks).
 */
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock, KVRegistry, KVStore, setRegistry, getRegistry, type KVDriver, type StoredRecord } from "edge-kv";
import { describePlanContract } from "./plan-contract.js";
import { deleteRecord, writeRecord } from "./plans.js";

export interface ContractOptions {
  /** A new driver on the data of `driver` (persistent drivers only). */
  reopen?: (driver: KVDriver) => Promise<KVDriver> | KVDriver;
  /** Called after each test with the drivers it made. */
  cleanup?: (driver: KVDriver) => Promise<void> | void;
}

const enc = (text: string) => new TextEncoder().encode(text);

/** Reference order for assertions: compare the UTF-8 encodings byte by byte (independent of src/utf8.ts). */
export function byUtf8Bytes(x: string, y: string): number {
  const a = enc(x);
  const b = enc(y);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function record(value: string | Uint8Array, fields: Partial<StoredRecord> = {}): StoredRecord {
  return {
    value: typeof value === "string" ? enc(value) : value,
    metadata: null,
    generation: 1,
    expiresAt: null,
    lastModified: 1_700_000_000_000,
    contentType: null,
    ...fields,
  };
}

function plain(stored: StoredRecord | null) {
  if (stored === null) return null;
  return {
    ...stored,
    value: Array.from(stored.value),
    metadata: stored.metadata === null ? null : Array.from(stored.metadata),
  };
}

/** Keys whose UTF-8 byte order differs from JS string order, prefixes of each other, and hostile names. */
export const ORDER_PROBE_KEYS = ["a", "a/b", "a0", "A", "b", "\u{1F600}", "\uE000", "\uFFFD", "é", "z"];
export const ADVERSARIAL_KEYS = [
  "__proto__",
  "constructor",
  "prototype",
  "hasOwnProperty",
  "a/../../etc/passwd",
  "../x",
  "..%2F",
  "%2e%2e/x",
  "./x",
  "a\u0000b",
  "CON",
  "nul.txt",
  "Key",
  "key",
  "KEY",
  "a//b",
  "/leading",
  "trailing/",
  "back\\slash",
  "spaces in key",
  "k".repeat(1024),
  "\u{1F600}".repeat(256),
  // Code points decoders treat specially: a default TextDecoder drops a leading U+FEFF (BOM), and
  // replaces bytes it cannot decode by U+FFFD; trim() eats U+FEFF, U+2028/2029 and U+00A0.
  "\uFEFFkey",
  "\uFEFF",
  "\uFEFF\uFEFFkey",
  "key\uFEFF",
  "\uFFFDkey",
  "\uFFFEkey",
  "\uFFFF",
  "\u2028key\u2029",
  "\u00A0key",
  "\u0085",
  "\u0000",
  "\uD800\uDC00", // U+10000, the first astral code point
  "\uDBFF\uDFFF", // U+10FFFF, the last code point
];

export function describeDriverContract(name: string, makeDriver: () => Promise<KVDriver> | KVDriver, options: ContractOptions = {}) {
  describe(`driver contract: ${name}`, () => {
    const made: KVDriver[] = [];
    const fresh = async () => {
      const driver = await makeDriver();
      made.push(driver);
      return driver;
    };
    afterEach(async () => {
      for (const driver of made.splice(0)) {
        await options.cleanup?.(driver);
      }
    });

    describe("read", () => {
      it("returns null for a key never written", async () => {
        const driver = await fresh();
        expect(await driver.read("missing")).toBeNull();
      });

      it("returns every field of a written record verbatim, including expired expiry and binary metadata", async () => {
        const driver = await fresh();
        const bytes = new Uint8Array(256).map((_, i) => i);
        const stored = record(bytes, {
          metadata: new Uint8Array([0, 255, 10, 13]),
          generation: 1_700_000_000_000_123,
          expiresAt: 5, // long expired: drivers do not interpret expiry
          lastModified: 1_700_000_000_999,
          contentType: "application/octet-stream",
        });
        expect(await writeRecord(driver, "bin", stored, null)).toBe(true);
        expect(plain(await driver.read("bin"))).toEqual(plain(stored));
      });

      it("keeps an empty value as an empty value", async () => {
        const driver = await fresh();
        await writeRecord(driver, "empty", record(""), null);
        const read = await driver.read("empty");
        expect(read?.value.byteLength).toBe(0);
        expect(read?.metadata).toBeNull();
      });

      it("round-trips a 1 MiB value byte for byte", async () => {
        const driver = await fresh();
        const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
        await writeRecord(driver, "big", record(big), null);
        const read = await driver.read("big");
        expect(read?.value.byteLength).toBe(big.byteLength);
        expect(sameBytes(read!.value, big)).toBe(true);
      });
    });

    describePlanContract(fresh);

    describe("delete", () => {
      it("removes the key from scans", async () => {
        const driver = await fresh();
        for (const key of ["a", "b", "c"]) await writeRecord(driver, key, record(key), null);
        await deleteRecord(driver, "b");
        expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "c"]);
      });
    });

    describe("ordered scan", () => {
      it("returns keys in UTF-8 byte order, not UTF-16 order", async () => {
        const driver = await fresh();
        for (const key of ORDER_PROBE_KEYS) await writeRecord(driver, key, record(key), null);
        const keys = (await driver.scan({ limit: 100 })).map((item) => item.key);
        const byBytes = [...ORDER_PROBE_KEYS].sort(byUtf8Bytes);
        expect(keys).toEqual(byBytes);
        expect(keys.indexOf("\uE000")).toBeLessThan(keys.indexOf("\u{1F600}"));
      });

      it("reports size, expiry and last-modified time per key", async () => {
        const driver = await fresh();
        await writeRecord(driver, "k", record("hello", { expiresAt: 123, lastModified: 456 }), null);
        expect(await driver.scan({ limit: 10 })).toEqual([{ key: "k", size: 5, expiresAt: 123, lastModified: 456 }]);
      });

      it("filters by prefix, including a prefix that is itself a key", async () => {
        const driver = await fresh();
        for (const key of ["a", "a/b", "a/c", "ab", "b", "a/"]) await writeRecord(driver, key, record(key), null);
        expect((await driver.scan({ prefix: "a/", limit: 10 })).map((item) => item.key)).toEqual(["a/", "a/b", "a/c"]);
        expect((await driver.scan({ prefix: "a", limit: 10 })).map((item) => item.key)).toEqual(["a", "a/", "a/b", "a/c", "ab"]);
        expect(await driver.scan({ prefix: "zz", limit: 10 })).toEqual([]);
      });

      it("starts strictly after `after`, inside or outside the prefix", async () => {
        const driver = await fresh();
        for (const key of ["p1", "p2", "p3", "q1"]) await writeRecord(driver, key, record(key), null);
        const keys = async (range: { prefix?: string; after?: string; limit: number }) =>
          (await driver.scan(range)).map((item) => item.key);
        expect(await keys({ after: "p1", limit: 10 })).toEqual(["p2", "p3", "q1"]);
        expect(await keys({ prefix: "p", after: "p2", limit: 10 })).toEqual(["p3"]);
        expect(await keys({ prefix: "p", after: "a", limit: 10 })).toEqual(["p1", "p2", "p3"]);
        expect(await keys({ prefix: "p", after: "p", limit: 10 })).toEqual(["p1", "p2", "p3"]);
        expect(await keys({ prefix: "p", after: "p3", limit: 10 })).toEqual([]);
        expect(await keys({ prefix: "p", after: "zzz", limit: 10 })).toEqual([]);
        expect(await keys({ after: "p15", limit: 10 })).toEqual(["p2", "p3", "q1"]);
      });

      it("stops after `limit` items", async () => {
        const driver = await fresh();
        for (let i = 0; i < 50; i++) await writeRecord(driver, `k${String(i).padStart(2, "0")}`, record("v"), null);
        const page = await driver.scan({ limit: 7 });
        expect(page.map((item) => item.key)).toEqual(["k00", "k01", "k02", "k03", "k04", "k05", "k06"]);
        expect(await driver.scan({ limit: 0 })).toEqual([]);
        const next = await driver.scan({ after: "k06", limit: 3 });
        expect(next.map((item) => item.key)).toEqual(["k07", "k08", "k09"]);
      });

      it("keeps order across many inserts in random order", async () => {
        const driver = await fresh();
        const keys = Array.from({ length: 1500 }, (_, i) => `key-${(i * 7919) % 1500}`);
        for (const key of keys) await writeRecord(driver, key, record("v"), undefined);
        const listed: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await driver.scan({ after, limit: 400 });
          listed.push(...page.map((item) => item.key));
          if (page.length < 400) break;
          after = page[page.length - 1]!.key;
        }
        expect(listed).toEqual([...new Set(keys)].sort(byUtf8Bytes));
      });
    });

    describe("keys", () => {
      it("keeps adversarial keys distinct and intact", async () => {
        const driver = await fresh();
        for (const [i, key] of ADVERSARIAL_KEYS.entries()) await writeRecord(driver, key, record(`value ${i}`), null);
        for (const [i, key] of ADVERSARIAL_KEYS.entries()) {
          expect(new TextDecoder().decode((await driver.read(key))!.value)).toBe(`value ${i}`);
        }
        const listed = (await driver.scan({ limit: 1000 })).map((item) => item.key);
        expect([...listed].sort()).toEqual([...ADVERSARIAL_KEYS].sort());
        expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
      });
    });

    describe("clear", () => {
      it("removes every record", async () => {
        const driver = await fresh();
        for (const key of ["a", "b", "c"]) await writeRecord(driver, key, record(key), null);
        await driver.clear();
        expect(await driver.scan({ limit: 10 })).toEqual([]);
        expect(await driver.read("a")).toBeNull();
        expect(await writeRecord(driver, "a", record("again"), null)).toBe(true);
      });
    });

    if (options.reopen) {
      describe("persistence", () => {
        it("keeps records, order and generations across reopening", async () => {
          const driver = await fresh();
          await writeRecord(driver, "b", record("2", { generation: 22, metadata: enc("m") }), null);
          await writeRecord(driver, "a", record("1", { generation: 11, expiresAt: 99 }), null);
          await driver.close?.();
          const reopened = await options.reopen!(driver);
          made.push(reopened);
          expect(plain(await reopened.read("b"))).toEqual(plain(record("2", { generation: 22, metadata: enc("m") })));
          expect((await reopened.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "b"]);
          expect(await writeRecord(reopened, "a", record("1b", { generation: 12 }), 11)).toBe(true);
        });
      });
    }

    describe("through KVStore (core semantics on this driver)", () => {
      let previous: KVRegistry | undefined;
      afterEach(() => {
        if (previous) setRegistry(previous);
      });
      const storeOn = async () => {
        const clock = new FakeClock();
        const registry = new KVRegistry({ clock });
        registry.defineStore("contract", { driver: await fresh() });
        previous = setRegistry(registry);
        void getRegistry;
        return { store: new KVStore("contract"), clock, admin: registry.store("contract") };
      };

      it("puts, gets with metadata, and deletes", async () => {
        const { store } = await storeOn();
        await store.put("k", "value", { metadata: "meta" });
        const entry = await store.get("k");
        expect(await entry!.text()).toBe("value");
        expect(entry!.metadataText()).toBe("meta");
        await store.delete("k");
        expect(await store.get("k")).toBeNull();
      });

      it("applies add, append, prepend and generation checks", async () => {
        const { store, admin } = await storeOn();
        await store.put("k", "b", { mode: "add" });
        await expect(store.put("k", "x", { mode: "add" })).rejects.toThrow(new TypeError("KVStore insert: Precondition failed."));
        await store.put("k", "c", { mode: "append" });
        await store.put("k", "a", { mode: "prepend" });
        expect(await (await store.get("k"))!.text()).toBe("abc");
        const { generation } = (await admin.inspect("k"))!;
        await expect(store.put("k", "no", { gen: generation + 1 })).rejects.toThrow("KVStore insert: Precondition failed.");
        await store.put("k", "yes", { gen: generation });
        expect(await (await store.get("k"))!.text()).toBe("yes");
      });

      it("hides entries once their TTL passes", async () => {
        const { store, clock } = await storeOn();
        await store.put("short", "v", { ttl: 10 });
        expect(await store.get("short")).not.toBeNull();
        clock.advanceSeconds(10);
        expect(await store.get("short")).toBeNull();
        expect((await store.list({})).list).toEqual([]);
      });

      it("paginates list with prefix, limit and cursor", async () => {
        const { store } = await storeOn();
        for (let i = 0; i < 25; i++) await store.put(`c${i}`, "v");
        await store.put("d", "v");
        const keys: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await store.list({ prefix: "c", limit: 10, ...(cursor ? { cursor } : {}) });
          keys.push(...page.list);
          cursor = page.cursor;
          pages++;
        } while (cursor);
        expect(pages).toBe(3);
        expect(keys).toHaveLength(25);
        expect(keys.slice(0, 4)).toEqual(["c0", "c1", "c10", "c11"]);
      });

      it("lets exactly one of many concurrent adds win", async () => {
        const { store } = await storeOn();
        const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put("once", `w${i}`, { mode: "add" })));
        expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
      });

      it("loses no update among concurrent appends", async () => {
        const { store } = await storeOn();
        await Promise.all(Array.from({ length: 20 }, () => store.put("log", "x", { mode: "append" })));
        expect(await (await store.get("log"))!.text()).toBe("x".repeat(20));
      });
    });
  });
}
