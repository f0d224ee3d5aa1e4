/**
 * "Bad input never writes": generated invalid keys, option values of every wrong type, oversize
 * values and metadata, malformed list options and cursors, thrown at `KVStore` and the admin API of a
 * seeded store. Each input must end with its documented error — class, exact message, and whether it
 * is thrown synchronously or returned as a rejected promise (§5.1) — and the driver's contents must be
 * byte-for-byte what they were before.
 *
 * The expected errors come from the spec's tables (fastly-kv-store.md §3.2, §5.1, §5.3, §5.6, §5.8,
 * §7.2, §10.5), re-stated here rather than taken from src/messages.ts, so a wrong entry there fails.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { trackBodyStreams } from "edge-kv";
import { checkProperty, count, printTally, runs } from "./settings.js";
import { dumpDriver, makeSubject, observe, type DriverFactory, type Observed, type Subject } from "./support.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** §3.2, in the runtime's order. */
export function expectedKeyError(key: string): string | null {
  const bytes = utf8(key);
  if (bytes.length === 0) return "KVStore key can not be an empty string";
  if (bytes.length > 1024) return "KVStore key can not be more than 1024 characters";
  const words: Record<number, string> = { 10: "newline", 13: "carriage return", 94: "^", 124: "|", 59: ";", 63: "?", 35: "#" };
  for (const byte of bytes) if (words[byte] !== undefined) return `KVStore key can not contain ${words[byte]} character`;
  if (key.startsWith(".well-known/acme-challenge/")) return "KVStore key can not start with .well-known/acme-challenge/";
  if (key === "." || key === "..") return "KVStore key can not be '.' or '..'";
  return null;
}

const FORBIDDEN = ["\n", "\r", "^", "|", ";", "?", "#"];
const SAFE_UNITS = ["a", "Z", "0", "/", ".", "-", " ", "é", "\u{1F600}", "\u0000", "\uD800", "%", "\\"];

/** Keys that break exactly the rules of §3.2 (several at once, too): the first rule in order decides. */
export const invalidKeyArb: fc.Arbitrary<string> = fc.oneof(
  fc.constant(""),
  fc.constantFrom(".", ".."),
  // Over 1024 UTF-8 bytes, built from 1-, 2-, 3- and 4-byte characters (and lone surrogates, 3 bytes as U+FFFD).
  fc
    .tuple(fc.constantFrom("a", "é", "\uE000", "\u{1F600}", "\uD800"), fc.integer({ min: 0, max: 40 }), fc.string({ maxLength: 5, unit: fc.constantFrom(...FORBIDDEN, ...SAFE_UNITS) }))
    .map(([unit, extra, tail]) => unit.repeat(Math.ceil(1025 / utf8(unit).length) + extra) + tail),
  // Forbidden characters anywhere, possibly several (the first decides the message), NUL bytes before them.
  fc
    .tuple(
      fc.string({ maxLength: 6, unit: fc.constantFrom(...SAFE_UNITS) }),
      fc.constantFrom(...FORBIDDEN),
      fc.string({ maxLength: 6, unit: fc.constantFrom(...FORBIDDEN, ...SAFE_UNITS) }),
    )
    .map(([head, bad, tail]) => head + bad + tail),
  fc.string({ maxLength: 8, unit: fc.constantFrom(...SAFE_UNITS, "?") }).map((rest) => `.well-known/acme-challenge/${rest}`),
);

/** A store's shape before every bad input: live entries with metadata, a TTL, binary values, hostile names. */
async function seed(subject: Subject): Promise<void> {
  await subject.store.put("a", "1");
  await subject.store.put("ab", "with metadata and ttl", { metadata: "m", ttl: 3600 });
  await subject.store.put("é", new Uint8Array([0, 255, 1]));
  await subject.store.put("__proto__", "p");
  await subject.store.put("k".repeat(1024), "longest key");
  await subject.admin.put("typed", "{}", { contentType: "application/json" });
}
const SEEDED_KEYS = ["a", "ab", "é", "__proto__", "k".repeat(1024), "typed"];

interface BadCase {
  /** For the report and for shrinking output. */
  label: string;
  call: (subject: Subject) => unknown;
  expected: Observed<never>;
}

const sync = (error: string, message: string): Observed<never> => ({ ok: false, error, message, sync: true });
const rejects = (error: string, message: string): Observed<never> => ({ ok: false, error, message, sync: false });
const show = (value: unknown) =>
  typeof value === "symbol" ? value.toString() : typeof value === "bigint" ? `${value}n` : typeof value === "function" ? "function" : JSON.stringify(value) ?? String(value);

function badCase(label: string, call: BadCase["call"], expected: Observed<never>): BadCase {
  const made = { label, call, expected };
  Object.defineProperty(made, "toString", { value: () => label });
  return made;
}

const keyCaseArb: fc.Arbitrary<BadCase> = fc.tuple(invalidKeyArb, fc.constantFrom("put", "get", "delete")).map(([key, method]) => {
  const message = expectedKeyError(key)!;
  // §5.1 c: put throws key errors synchronously; get and delete reject (§4.2, §6.1).
  if (method === "put") return badCase(`put(${show(key)}, "v")`, (s) => s.store.put(key, "v"), sync("TypeError", message));
  return badCase(`${method}(${show(key)})`, (s) => (method === "get" ? s.store.get(key) : s.store.delete(key)), rejects("TypeError", message));
});

// §5.3: ToNumber, NaN / negative / ≥ 2^32, all synchronous RangeErrors; a Symbol cannot be converted at all.
const TTL_NAN: unknown[] = [NaN, "abc", "1e", {}, [1, 2], () => 1, "0x"];
const TTL_NEGATIVE: unknown[] = [-1, -0.4, "-3", -Infinity, [-5]];
const TTL_TOO_LARGE: unknown[] = [4294967296, 2 ** 40, Infinity, "1e10", Number.MAX_VALUE];
// §5.8: must be a number, an integer, above zero (null/undefined = absent): rejected TypeError.
const BAD_GENS: unknown[] = ["2", 0, -1, -0.5, NaN, Infinity, true, {}, [], 2 ** 53, -0, 1n]; // 1.5 is not bad: it truncates to 1, as on Compute
// §5.6: anything but a string or bytes, null included: rejected TypeError.
const BAD_METADATA: unknown[] = [null, 42, true, {}, [], () => "m", Symbol("m"), new Date(0), 7n];

const optionCaseArb: fc.Arbitrary<BadCase> = fc
  .tuple(
    fc.constantFrom(...SEEDED_KEYS, "fresh"),
    fc.oneof(
      fc.constantFrom(...TTL_NAN).map((ttl) => ({ option: "ttl", value: ttl, expected: sync("RangeError", "KVStore.put: ttl is not a valid number") })),
      fc.constantFrom(...TTL_NEGATIVE).map((ttl) => ({ option: "ttl", value: ttl, expected: sync("RangeError", "KVStore.put: ttl can not be a negative number") })),
      fc.constantFrom(...TTL_TOO_LARGE).map((ttl) => ({ option: "ttl", value: ttl, expected: sync("RangeError", "KVStore.put: ttl is above the maximum of 4294967296") })),
      fc.constant({ option: "ttl", value: Symbol("ttl"), expected: sync("TypeError", "Cannot convert a Symbol value to a number") }),
      fc.constantFrom(...BAD_GENS).map((gen) => ({ option: "gen", value: gen, expected: rejects("TypeError", "KVStore.insert: gen must be an integer") })),
      fc.constantFrom(...BAD_METADATA).map((metadata) => ({
        option: "metadata",
        value: metadata,
        expected: rejects("TypeError", "KVStore.put metadata: bytes must be an ArrayBuffer or ArrayBufferView object"),
      })),
      fc.constant({ option: "mode", value: Symbol("mode"), expected: sync("TypeError", "Cannot convert a Symbol value to a string") }),
    ),
    // Other options next to the bad one, valid ones, which must not make it through either.
    fc.record({ mode: fc.constantFrom("overwrite", "add", "append", "prepend"), metadata: fc.constant("new") }, { requiredKeys: [] }),
  )
  .map(([key, bad, others]) => {
    const options = { ...others, [bad.option]: bad.value };
    return badCase(`put(${show(key)}, "v", { ...${show(others)}, ${bad.option}: ${show(bad.value)} })`, (s) => s.store.put(key, "v", options), bad.expected);
  });

/** The rule order of §5.1 with two bad options at once: ttl (sync) wins over gen and metadata, gen over metadata. */
const orderCaseArb: fc.Arbitrary<BadCase> = fc
  .tuple(fc.constantFrom(...TTL_NAN), fc.constantFrom(...BAD_GENS), fc.constantFrom(...BAD_METADATA), fc.integer({ min: 0, max: 2 }))
  .map(([ttl, gen, metadata, which]) => {
    if (which === 0) return badCase(`put("a", "v", { ttl: ${show(ttl)}, gen: ${show(gen)}, metadata: ${show(metadata)} })`, (s) => s.store.put("a", "v", { ttl, gen, metadata } as never), sync("RangeError", "KVStore.put: ttl is not a valid number"));
    if (which === 1) return badCase(`put("a", "v", { gen: ${show(gen)}, metadata: ${show(metadata)} })`, (s) => s.store.put("a", "v", { gen, metadata } as never), rejects("TypeError", "KVStore.insert: gen must be an integer"));
    // An invalid key beats every option (§5.1 c comes before d–j).
    return badCase(`put("a|b", "v", { ttl: ${show(ttl)} })`, (s) => s.store.put("a|b", "v", { ttl } as never), sync("TypeError", "KVStore key can not contain | character"));
  });

// §7.2: all synchronous TypeErrors, read in the order cursor, limit, prefix, noSync.
const BAD_CURSOR_TYPES: unknown[] = [1, true, {}, [], Symbol("c"), 0n];
const BAD_LIMITS: unknown[] = [1.5, "3", NaN, Infinity, -Infinity, {}, true, "booooo", 1n];
const BAD_PREFIXES: unknown[] = [1, true, {}, ["a"], Symbol("p")];
const BAD_NOSYNC: unknown[] = [1, "true", {}, 0, "false"];
// §7.3/§10.5: not standard base64, or base64 of bytes that are not UTF-8 (or of nothing): `KVStore list: Bad request.`
const b64 = (bytes: number[]) => btoa(String.fromCharCode(...bytes));
const MALFORMED_CURSORS = ["!!!!", "YWJjZ", "YQ==YQ==", "a b=", "YW\u00e9=", "-_-_", "%2e%2e", "====", b64([0xff]), b64([0xc0, 0x80]), b64([0xed, 0xa0, 0x80]), b64([0x61, 0xf0, 0x9f])];

const listCaseArb: fc.Arbitrary<BadCase> = fc.oneof(
  fc.constantFrom<unknown>(undefined, null, 1, "opts", true).map((options) =>
    badCase(`list(${show(options)})`, (s) => (options === undefined ? (s.store.list as () => unknown)() : s.store.list(options as never)), sync("TypeError", "KVStore.list: options must be an object")),
  ),
  fc.constantFrom(...BAD_CURSOR_TYPES).map((cursor) => badCase(`list({ cursor: ${show(cursor)}, limit: 1.5 })`, (s) => s.store.list({ cursor, limit: 1.5 } as never), sync("TypeError", "KVStore.list: cursor must be a string"))),
  fc.constantFrom(...BAD_LIMITS).map((limit) => badCase(`list({ limit: ${show(limit)}, prefix: 1 })`, (s) => s.store.list({ limit, prefix: 1 } as never), sync("TypeError", "KVStore.list: limit must be an integer"))),
  fc.constantFrom(...BAD_PREFIXES).map((prefix) => badCase(`list({ prefix: ${show(prefix)}, noSync: 1 })`, (s) => s.store.list({ prefix, noSync: 1 } as never), sync("TypeError", "KVStore.list: prefix must be a string"))),
  fc.constantFrom(...BAD_NOSYNC).map((noSync) => badCase(`list({ noSync: ${show(noSync)} })`, (s) => s.store.list({ noSync } as never), sync("TypeError", "KVStore.list: noSync must be a boolean"))),
  fc
    .tuple(fc.constantFrom(...MALFORMED_CURSORS), fc.constantFrom(undefined, "a"), fc.constantFrom(undefined, 1, 10))
    .map(([cursor, prefix, limit]) => badCase(`list({ cursor: ${show(cursor)}, prefix: ${show(prefix)}, limit: ${show(limit)} })`, (s) => s.store.list({ cursor, prefix, limit }), rejects("TypeError", "KVStore list: Bad request."))),
);

const argumentCaseArb: fc.Arbitrary<BadCase> = fc.constantFrom(
  badCase(`put("a")`, (s) => (s.store.put as (key: string) => unknown)("a"), sync("TypeError", "put: At least 2 arguments required, but only 1 passed")),
  badCase(`put()`, (s) => (s.store.put as () => unknown)(), sync("TypeError", "put: At least 2 arguments required, but only 0 passed")),
  badCase(`get()`, (s) => (s.store.get as () => unknown)(), sync("TypeError", "get: At least 1 argument required, but only 0 passed")),
  badCase(`delete()`, (s) => (s.store.delete as () => unknown)(), sync("TypeError", "delete: At least 1 argument required, but only 0 passed")),
  badCase(`put(Symbol(), "v")`, (s) => s.store.put(Symbol("k") as never, "v"), sync("TypeError", "Cannot convert a Symbol value to a string")),
  badCase(`get(Symbol())`, (s) => s.store.get(Symbol("k") as never), rejects("TypeError", "Cannot convert a Symbol value to a string")),
  badCase(`delete(Symbol())`, (s) => s.store.delete(Symbol("k") as never), rejects("TypeError", "Cannot convert a Symbol value to a string")),
  badCase(`put({ toString() { throw } }, "v")`, (s) => s.store.put({ toString() { throw new RangeError("key conversion failed"); } } as never, "v"), sync("RangeError", "key conversion failed")),
  badCase(`put("a", Symbol())`, (s) => s.store.put("a", Symbol("v") as never), sync("TypeError", "Cannot convert a Symbol value to a string")),
  badCase(`put("a", { toString() { throw } })`, (s) => s.store.put("a", { toString() { throw new Error("value conversion failed"); } } as never), sync("Error", "value conversion failed")),
  badCase(`put("a", "v", { get ttl() { throw } })`, (s) => s.store.put("a", "v", Object.defineProperty({}, "ttl", { get() { throw new Error("ttl getter"); } })), sync("Error", "ttl getter")),
  badCase(`put("a", "v", { get metadata() { throw } })`, (s) => s.store.put("a", "v", Object.defineProperty({}, "metadata", { get() { throw new Error("metadata getter"); } })), sync("Error", "metadata getter")),
  badCase(`put.call({}, "a", "v")`, (s) => s.store.put.call({} as never, "a", "v"), sync("TypeError", "Method 'put' called on receiver that's not an instance of KVStore")),
  badCase(`get.call(null, "a")`, (s) => s.store.get.call(null as never, "a"), sync("TypeError", "Method 'get' called on receiver that's not an instance of KVStore")),
  badCase(`delete.call(admin, "a")`, (s) => s.store.delete.call(s.admin as never, "a"), sync("TypeError", "Method 'delete' called on receiver that's not an instance of KVStore")),
);

// Admin API misuse: EdgeKvError saying what was wrong, where and what is expected.
const adminCaseArb: fc.Arbitrary<BadCase> = fc.oneof(
  fc.constantFrom("bogus", "APPEND", "").map((mode) =>
    badCase(`admin.put("a", "v", { mode: ${show(mode)} })`, (s) => s.admin.put("a", "v", { mode: mode as never }), rejects("EdgeKvError", `edge-kv: put('a'): mode must be one of overwrite, add, append, prepend, got ${JSON.stringify(mode)}`)),
  ),
  fc.constantFrom(0, -1, 1.5, NaN, 2 ** 53).map((gen) =>
    badCase(`admin.put("a", "v", { ifGenerationMatch: ${show(gen)} })`, (s) => s.admin.put("a", "v", { ifGenerationMatch: gen }), rejects("EdgeKvError", `edge-kv: put('a'): ifGenerationMatch must be a positive integer, got ${String(gen)}`)),
  ),
  fc.constantFrom<unknown>(-1, NaN, "5", 4294967296, null).map((ttl) =>
    badCase(`admin.put("a", "v", { ttl: ${show(ttl)} })`, (s) => s.admin.put("a", "v", { ttl: ttl as number }), rejects("EdgeKvError", `edge-kv: put('a'): ttl must be a number of seconds from 0 to 4294967295, got ${String(ttl)}`)),
  ),
  fc.constantFrom<unknown>(null, 42, {}, true).map((value) =>
    badCase(`admin.put("a", ${show(value)})`, (s) => s.admin.put("a", value as string), rejects("EdgeKvError", `edge-kv: value must be a string, ArrayBuffer or ArrayBufferView, got ${value === null ? "null" : typeof value}`)),
  ),
  invalidKeyArb.map((key) => badCase(`admin.put(${show(key)}, "v")`, (s) => s.admin.put(key, "v"), rejects("TypeError", expectedKeyError(key)!))),
  invalidKeyArb.map((key) => badCase(`admin.delete(${show(key)}, { force: true })`, (s) => s.admin.delete(key, { force: true }), rejects("TypeError", expectedKeyError(key)!))),
  fc.constantFrom(0, -1, 1.5, NaN).map((limit) => badCase(`admin.keys({ limit: ${show(limit)} })`, (s) => s.admin.keys({ limit }), rejects("EdgeKvError", `edge-kv: keys(): limit must be a positive integer, got ${String(limit)}`))),
  fc.constant(badCase(`admin.put("a", "v", { metadata: 1001 bytes })`, (s) => s.admin.put("a", "v", { metadata: "m".repeat(1001) }), rejects("LimitExceededError", "KVStore.put: metadata can not be more than 1000 bytes"))),
);

export const badCaseArb = fc.oneof(
  { weight: 4, arbitrary: keyCaseArb },
  { weight: 4, arbitrary: optionCaseArb },
  { weight: 1, arbitrary: orderCaseArb },
  { weight: 3, arbitrary: listCaseArb },
  { weight: 2, arbitrary: argumentCaseArb },
  { weight: 3, arbitrary: adminCaseArb },
);

/** The whole suite against one driver: a seeded store, then every generated bad input must leave it unchanged. */
export function badInputTests(driverName: string, factory: DriverFactory, options: { inputs: number; dumpFiles?: (subject: Subject) => Promise<string> }): void {
  describe(`bad input never writes (${driverName})`, () => {
    let subject: Subject;
    let before: string;
    const snapshot = async () => (await dumpDriver(subject.driver)) + (options.dumpFiles ? await options.dumpFiles(subject) : "");

    beforeAll(async () => {
      subject = await makeSubject(factory);
      await seed(subject);
      before = await snapshot();
    });
    afterAll(async () => {
      await subject.cleanup();
      printTally(`bad input (${driverName})`);
    });

    it("rejects generated invalid keys, wrong-typed options, bad list options, malformed cursors and admin misuse with their documented errors, leaving the store byte-for-byte unchanged", async () => {
      const made = await checkProperty(
        fc.asyncProperty(badCaseArb, async (bad) => {
          const observed = await observe(() => bad.call(subject));
          const after = await snapshot();
          if (after !== before) {
            // Re-seed so the shrinking that follows starts from the same store (and finds the real culprit).
            const expected = before;
            await subject.admin.clear();
            await seed(subject);
            before = await snapshot();
            expect(after, `store changed by ${bad.label}`).toBe(expected);
          }
          expect(observed, bad.label).toEqual(bad.expected);
        }),
        runs(options.inputs),
      );
      count(`bad inputs (${driverName})`, made);
    }, 600_000);

    it("rejects a value of 30 MiB + 1 byte (bytes, string or stream) with 'KVStore value can not be more than 30 Megabytes in size', writing nothing", async () => {
      const limit = 30 * 1024 * 1024;
      const message = "KVStore value can not be more than 30 Megabytes in size";
      const bytes = new Uint8Array(limit + 1);
      expect(await observe(() => subject.store.put("a", bytes))).toEqual(rejects("TypeError", message));
      expect(await observe(() => subject.store.put("fresh", "x".repeat(limit + 1)))).toEqual(rejects("TypeError", message));
      const untrack = trackBodyStreams();
      try {
        expect(await observe(() => subject.store.put("ab", new Response(new Uint8Array(limit + 1)).body!))).toEqual(rejects("TypeError", message));
      } finally {
        untrack();
      }
      expect(await snapshot()).toBe(before);
      count(`oversize values (${driverName})`, 3);
    }, 60_000);

    it("rejects metadata over the store's limit (1000 bytes by default) as the runtime does, 'KVStore insert: Payload too large.', also on append, writing nothing", async () => {
      const message = "KVStore insert: Payload too large.";
      for (const [key, metadata, mode] of [
        ["a", "m".repeat(1001), "overwrite"],
        ["ab", new Uint8Array(1001), "append"],
        ["fresh", "\u{1F600}".repeat(251), "add"],
        ["é", new Uint8Array(5000).buffer, "prepend"],
      ] as const) {
        expect(await observe(() => subject.store.put(key, "v", { metadata, mode }))).toEqual(rejects("TypeError", message));
      }
      expect(await snapshot()).toBe(before);
      count(`oversize metadata (${driverName})`, 4);
    });

    it("rejects locked streams and streams the app made itself (Compute takes only Request, Response and KVStoreEntry bodies), writing nothing", async () => {
      const locked = new ReadableStream<Uint8Array>();
      locked.getReader();
      expect(await observe(() => subject.store.put("a", locked))).toEqual(
        rejects("TypeError", "Can't use a ReadableStream that's locked or has ever been read from or canceled"),
      );
      const made = new ReadableStream<unknown>({
        start(controller) {
          controller.enqueue(new Uint8Array([1]));
          controller.enqueue(42);
          controller.close();
        },
      });
      expect(await observe(() => subject.store.put("a", made as ReadableStream<Uint8Array>))).toEqual(
        rejects("TypeError", "Content-provided streams are not yet supported for streaming into KVStore"),
      );
      expect(await snapshot()).toBe(before);
    });

    it("accepts 1000 bytes of metadata and a 1024-byte key right at the limits (the suite's inputs really are just over)", async () => {
      const other = await makeSubject(factory, { name: "limits" });
      try {
        await other.store.put("\u{1F600}".repeat(256), "v", { metadata: "m".repeat(1000) });
        const entry = await other.store.get("\u{1F600}".repeat(256));
        expect(entry?.metadataText()).toBe("m".repeat(1000));
      } finally {
        await other.cleanup();
      }
    });
  });
}
