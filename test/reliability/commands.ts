/**
 * fast-check model-based commands over the public surfaces (`KVStore` and the admin API). Each
 * command applies itself to the reference model (model.ts) and to a real store, compares the two
 * outcomes exactly (value, or error class + message), then compares the whole stored state: every
 * live record's value, metadata, expiry and last-modified time, and that its generation is the one
 * the last successful write produced (strictly above the one before).
 */
import fc from "fast-check";
import { expect } from "vitest";
import { trackBodyStreams } from "edge-kv";
import { KVModel, type GenChoice, type ModelMode, type Outcome } from "./model.js";
import { count } from "./settings.js";
import { hex, observe, type Observed, type Subject } from "./support.js";

// Response bodies count as bodies in every runtime these suites run in (Node, Chromium), exactly.
trackBodyStreams();

type Cmd = fc.AsyncCommand<KVModel, Subject, false>;

const encoder = new TextEncoder();
const utf8 = (text: string) => encoder.encode(text);
/** A key or prefix as the store sees it: lone surrogates become U+FFFD (§3.1). */
const wellFormed = (text: string) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(utf8(text));
const show = (value: unknown) => JSON.stringify(value, (_, v) => (v instanceof Uint8Array ? Array.from(v) : v));

// ---- inputs ---------------------------------------------------------------------------------

export type ValueInput =
  | { kind: "string"; text: string }
  | { kind: "bytes"; bytes: number[] }
  | { kind: "arraybuffer"; bytes: number[] }
  | { kind: "dataview"; bytes: number[] }
  | { kind: "number"; n: number }
  | { kind: "params"; entries: [string, string][] }
  | { kind: "stream"; chunks: number[][] };

function realValue(input: ValueInput): unknown {
  switch (input.kind) {
    case "string":
      return input.text;
    case "bytes":
      return new Uint8Array(input.bytes);
    case "arraybuffer":
      return new Uint8Array(input.bytes).buffer;
    case "dataview": {
      // A view into the middle of a larger buffer: only the viewed bytes are the value.
      const backing = new Uint8Array(input.bytes.length + 4).fill(0xee);
      backing.set(input.bytes, 2);
      return new DataView(backing.buffer, 2, input.bytes.length);
    }
    case "number":
      return input.n;
    case "params":
      return new URLSearchParams(input.entries);
    case "stream":
      // A Response's body: the kind of stream Compute lets an app put (an app-made one is refused, §5).
      return new Response(new Uint8Array(input.chunks.flat())).body;
  }
}

/** §5.4: the bytes a value stores. */
function valueBytes(input: ValueInput): Uint8Array {
  switch (input.kind) {
    case "string":
      return utf8(input.text);
    case "bytes":
    case "arraybuffer":
    case "dataview":
      return new Uint8Array(input.bytes);
    case "number":
      return utf8(String(input.n));
    case "params":
      return utf8(new URLSearchParams(input.entries).toString());
    case "stream":
      return new Uint8Array(input.chunks.flat());
  }
}

export type MetadataInput = { kind: "string"; text: string } | { kind: "bytes"; bytes: number[] } | { kind: "arraybuffer"; bytes: number[] };

function realMetadata(input: MetadataInput): unknown {
  if (input.kind === "string") return input.text;
  if (input.kind === "bytes") return new Uint8Array(input.bytes);
  return new Uint8Array(input.bytes).buffer;
}

function metadataBytes(input: MetadataInput): Uint8Array {
  return input.kind === "string" ? utf8(input.text) : new Uint8Array(input.bytes);
}

export interface PutOptionsInput {
  metadata?: MetadataInput;
  ttl?: number | string | null;
  mode?: string;
  gen?: GenChoice;
}

const KNOWN_MODES = ["overwrite", "add", "append", "prepend"];

/** §5.3: ToNumber then round (null is 0). Only valid ttl inputs are generated here. */
function ttlSeconds(ttl: number | string | null | undefined): number | undefined {
  return ttl === undefined ? undefined : Math.round(Number(ttl));
}

// ---- arbitraries ------------------------------------------------------------------------------

/**
 * Few distinct keys so sequences collide; byte order traps; hostile names; a lone surrogate that becomes U+FFFD;
 * code points decoders treat specially (a leading U+FEFF that a default TextDecoder drops, so "\uFEFFa" must stay
 * apart from "a"; non-characters; line separators that trim() eats).
 */
const KEY_POOL = [
  "a", "b", "ab", "a/b", "a0", "é", "\u{1F600}", "\uE000", "\uFFFD", "\uD800", "__proto__", "constructor", "../x", "a\u0000b", " ",
  "\uFEFFa", "\uFEFF", "a\uFEFF", "\uFFFE", "\uFFFF", "\u2028", "\u00A0a",
];
export const keyArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom("a", "ab", "é", "\u{1F600}") },
  { weight: 3, arbitrary: fc.constantFrom(...KEY_POOL) },
  { weight: 1, arbitrary: fc.string({ unit: fc.constantFrom("a", "b", "/", "é", "\u{1F600}"), minLength: 1, maxLength: 3 }) },
);
// "\uD83D" is half a surrogate pair: it must act as the U+FFFD it encodes to, never match "😀".
const PREFIX_POOL = [undefined, "", "a", "a/", "_", "é", "\u{1F600}", "\uFFFD", "\uD83D", "zz", "\uFEFF"];
export const prefixArb = fc.constantFrom(...PREFIX_POOL);
export const listLimitArb = fc.constantFrom<number | undefined>(undefined, 0, 1, 2, 3, 5, 2.0, -1);

const byteArrayArb = (maxLength: number) => fc.array(fc.integer({ min: 0, max: 255 }), { maxLength });

export const valueArb: fc.Arbitrary<ValueInput> = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 6 }).map((text) => ({ kind: "string" as const, text })) },
  { weight: 1, arbitrary: fc.constantFrom("\uD800x", "é\u{1F600}", "").map((text) => ({ kind: "string" as const, text })) },
  { weight: 2, arbitrary: byteArrayArb(6).map((bytes) => ({ kind: "bytes" as const, bytes })) },
  { weight: 1, arbitrary: byteArrayArb(6).map((bytes) => ({ kind: "arraybuffer" as const, bytes })) },
  { weight: 1, arbitrary: byteArrayArb(6).map((bytes) => ({ kind: "dataview" as const, bytes })) },
  { weight: 1, arbitrary: fc.constantFrom(0, -1.5, 42, 1e21).map((n) => ({ kind: "number" as const, n })) },
  { weight: 1, arbitrary: fc.array(fc.tuple(fc.string({ maxLength: 2 }), fc.string({ maxLength: 2 })), { maxLength: 2 }).map((entries) => ({ kind: "params" as const, entries })) },
  { weight: 1, arbitrary: fc.array(byteArrayArb(3), { maxLength: 3 }).map((chunks) => ({ kind: "stream" as const, chunks })) },
);

const metadataArb: fc.Arbitrary<MetadataInput> = fc.oneof(
  fc.string({ maxLength: 6 }).map((text) => ({ kind: "string" as const, text })),
  fc.constantFrom("", "é", "\u{1F600}\u{1F600}\u{1F600}").map((text) => ({ kind: "string" as const, text })),
  byteArrayArb(10).map((bytes) => ({ kind: "bytes" as const, bytes })),
  byteArrayArb(4).map((bytes) => ({ kind: "arraybuffer" as const, bytes })),
);

/** Each option present some of the time: mode and metadata often, ttl and gen less (they make writes vanish or fail). */
const sometimes = <T>(arb: fc.Arbitrary<T>, percent: number) =>
  fc.integer({ min: 1, max: 100 }).chain((roll) => (roll <= percent ? arb : fc.constant(undefined)));

const putOptionsArbWith = (metadata: fc.Arbitrary<MetadataInput>): fc.Arbitrary<PutOptionsInput | undefined> => fc.option(
  fc
    .record({
      metadata: sometimes(metadata, 50),
      ttl: sometimes(fc.constantFrom<number | string | null>(0, null, 1, 1.4, 1.5, 2, 10, "3", 3600), 30),
      mode: sometimes(fc.constantFrom("overwrite", "add", "append", "prepend", "append", "prepend", "APPEND", "bogus"), 60),
      gen: sometimes(fc.constantFrom<GenChoice>("current", "current", "stale", "never"), 20),
    })
    .map((options) => {
      const present: PutOptionsInput = {};
      for (const [name, value] of Object.entries(options)) if (value !== undefined) Object.assign(present, { [name]: value });
      return present;
    }),
  { freq: 4, nil: undefined },
);
export const putOptionsArb = putOptionsArbWith(metadataArb);

export const advanceArb = fc.constantFrom(0, 1, 999, 1000, 1001, 1500, 2000, 5000, 3_600_000);

// ---- comparing ------------------------------------------------------------------------------

/** Model errors are all rejections (none of the generated inputs is invalid). */
function expectSame<T>(expected: Outcome<T>, observed: Observed<unknown>, convert: (value: unknown) => unknown = (v) => v): void {
  if (expected.ok) {
    if (!observed.ok) expect(observed).toEqual({ ok: true }); // fails, showing the error
    expect(convert((observed as { value: unknown }).value)).toEqual(expected.value);
  } else {
    expect(observed).toEqual({ ok: false, error: expected.error, message: expected.message, sync: expected.sync ?? false });
  }
}

/** The raw generation under `key` (expired records included), or undefined. */
export async function rawGeneration(real: Subject, key: string): Promise<number | undefined> {
  return (await real.driver.read(key))?.generation;
}

export async function resolveGen(real: Subject, key: string, choice: GenChoice): Promise<number> {
  const current = await rawGeneration(real, key);
  if (choice === "current") return current ?? 1;
  if (choice === "stale") {
    const older = (real.generations.get(key) ?? []).filter((gen) => gen !== current);
    if (older.length > 0) return older[older.length - 1]!;
  }
  return 1; // real generations start from the clock in microseconds: 1 never matches
}

/**
 * After a successful write: the new generation is a positive safe integer never seen before for the
 * key — above the one it replaced, and different from every earlier one even when the key was deleted
 * and written again after a reopen (a new core, as in a new process), so a stale generation can never
 * match a newer record.
 */
export async function noteWrite(real: Subject, key: string, replacedLive: boolean): Promise<void> {
  const generation = await rawGeneration(real, key);
  expect(generation, `generation of ${show(key)} after a write`).toBeDefined();
  expect(Number.isSafeInteger(generation) && generation! > 0).toBe(true);
  const seen = real.generations.get(key) ?? [];
  // Replacing a live record must go above it. (An expired one may have been purged meanwhile; then the
  // key is re-created, and only uniqueness — and, within one core, order — is promised.)
  if (replacedLive && seen.length > 0) expect(generation!).toBeGreaterThan(seen[seen.length - 1]!);
  if (!real.reopened && seen.length > 0) expect(generation!).toBeGreaterThan(seen[seen.length - 1]!);
  expect(seen, `generation ${generation} of ${show(key)} was used before`).not.toContain(generation);
  seen.push(generation!);
  real.generations.set(key, seen);
}

/**
 * The whole store agrees with the model: the driver's live records (by the model's clock) are
 * exactly the model's entries, field by field, and each carries the last generation noted for it.
 */
export async function expectSameState(model: KVModel, real: Subject): Promise<void> {
  const actual: Record<string, unknown> = {};
  let after: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const batch = await real.driver.scan({ after, limit: 100 });
    for (const item of batch) {
      if (item.expiresAt !== null && item.expiresAt <= model.now) continue;
      const record = await real.driver.read(item.key);
      expect(record, `scan listed ${show(item.key)} but read found nothing`).not.toBeNull();
      expect(item.size).toBe(record!.value.byteLength);
      const seen = real.generations.get(item.key);
      expect(record!.generation, `generation of ${show(item.key)}`).toBe(seen?.[seen.length - 1]);
      actual[item.key] = { value: hex(record!.value), metadata: hex(record!.metadata), expiresAt: record!.expiresAt, lastModified: record!.lastModified };
    }
    if (batch.length < 100) break;
    after = batch[batch.length - 1]!.key;
  }
  const expected: Record<string, unknown> = {};
  for (const key of model.liveKeys()) {
    const entry = model.entries.get(key)!;
    expected[key] = { value: hex(entry.value), metadata: hex(entry.metadata), expiresAt: entry.expiresAt, lastModified: entry.modifiedAt };
  }
  expect(Object.keys(actual)).toEqual(Object.keys(expected)); // same keys, same (UTF-8) order
  expect(actual).toEqual(expected);
}

// ---- commands -------------------------------------------------------------------------------

class PutCommand implements Cmd {
  constructor(
    readonly key: string,
    readonly value: ValueInput,
    readonly options: PutOptionsInput | undefined,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: put");
    const key = wellFormed(this.key);
    const o = this.options;
    const mode = o?.mode !== undefined && KNOWN_MODES.includes(o.mode) ? (o.mode as ModelMode) : "overwrite";
    const liveBefore = model.live(key) !== null;
    count(`model: put ${mode}${o?.gen === undefined ? "" : ` gen=${o.gen}`} on a ${liveBefore ? "live" : "missing"} key`);
    const expected = model.put(key, {
      value: valueBytes(this.value),
      metadata: o?.metadata === undefined ? undefined : metadataBytes(o.metadata),
      ttlSeconds: ttlSeconds(o?.ttl),
      mode,
      // A body stream goes to the store without its generation check on Compute (§5): gen is ignored.
      gen: this.value.kind === "stream" ? undefined : o?.gen,
    });
    let options: Record<string, unknown> | undefined;
    if (o !== undefined) {
      options = {};
      if (o.metadata !== undefined) options.metadata = realMetadata(o.metadata);
      if ("ttl" in o) options.ttl = o.ttl;
      if (o.mode !== undefined) options.mode = o.mode;
      if (o.gen !== undefined) options.gen = await resolveGen(real, key, o.gen);
    }
    count(expected.ok ? "model: put → written" : `model: put → ${expected.error} ${expected.message.trim()}`);
    const observed = await observe(() => real.store.put(this.key, realValue(this.value) as string, options));
    expectSame(expected, observed);
    if (observed.ok) await noteWrite(real, key, liveBefore);
    await expectSameState(model, real);
  }
  toString = () => `put(${show(this.key)}, ${show(this.value)}${this.options === undefined ? "" : `, ${show(this.options)}`})`;
}

async function entryOf(result: unknown): Promise<unknown> {
  if (result === null) return null;
  const entry = result as { arrayBuffer(): Promise<ArrayBuffer>; metadata(): Uint8Array | null };
  const metadata = entry.metadata();
  return { value: hex(new Uint8Array(await entry.arrayBuffer())), metadata: hex(metadata === null ? null : new Uint8Array(metadata)) };
}

class GetCommand implements Cmd {
  constructor(readonly key: string) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: get");
    const expected = model.get(wellFormed(this.key));
    const observed = await observe(() => real.store.get(this.key));
    if (!expected.ok) expectSame(expected, observed);
    else {
      if (!observed.ok) expect(observed).toEqual({ ok: true }); // fails, showing the error
      const value = expected.value === null ? null : { value: hex(expected.value.value), metadata: hex(expected.value.metadata) };
      expect(await entryOf((observed as { value: unknown }).value)).toEqual(value);
    }
    await expectSameState(model, real);
  }
  toString = () => `get(${show(this.key)})`;
}

class DeleteCommand implements Cmd {
  constructor(readonly key: string) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: delete");
    const expected = model.delete(wellFormed(this.key));
    expectSame(expected, await observe(() => real.store.delete(this.key)));
    await expectSameState(model, real);
  }
  toString = () => `delete(${show(this.key)})`;
}

class AdminDeleteCommand implements Cmd {
  constructor(
    readonly key: string,
    readonly gen: GenChoice | undefined,
    readonly force: boolean,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: admin delete");
    const key = wellFormed(this.key);
    const expected = model.adminDelete(key, this.gen, this.force);
    const ifGenerationMatch = this.gen === undefined ? undefined : await resolveGen(real, key, this.gen);
    expectSame(expected, await observe(() => real.admin.delete(key, { ifGenerationMatch, force: this.force })));
    await expectSameState(model, real);
  }
  toString = () => `admin.delete(${show(this.key)}, ${show({ gen: this.gen, force: this.force })})`;
}

/** Walks every page of a listing, following cursors, comparing each page with the model's. */
class ListWalkCommand implements Cmd {
  constructor(
    readonly prefix: string | undefined,
    readonly limit: number | undefined,
    readonly noSync: boolean,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: list walk");
    const prefix = this.prefix === undefined || this.prefix === "" ? undefined : wellFormed(this.prefix);
    const limit = this.limit === undefined ? 1000 : this.limit >>> 0; // §7.2: a u32, 1000 when absent
    let cursor: string | undefined;
    const bound = model.entries.size + 2;
    for (let page = 0; ; page++) {
      expect(page, "pages needed to walk the listing").toBeLessThan(bound);
      const expected = model.list({ prefix, limit, cursor, emptyPrefixOrCursor: this.prefix === "" });
      const options: Record<string, unknown> = { prefix: this.prefix, limit: this.limit, noSync: this.noSync };
      if (cursor !== undefined) options.cursor = cursor;
      const observed = await observe(() => real.store.list(options));
      expectSame(expected, observed, (result) => {
        expect(Object.keys(result as object)).toEqual(["list", "cursor"]);
        return { ...(result as object) };
      });
      count("model: list pages");
      if (!expected.ok || expected.value.cursor === undefined) break;
      cursor = expected.value.cursor;
    }
    await expectSameState(model, real);
  }
  toString = () => `listAll(${show({ prefix: this.prefix, limit: this.limit, noSync: this.noSync })})`;
}

/** One page starting after an arbitrary key (present or not), via a cursor built from the spec's format. */
class ListFromCommand implements Cmd {
  constructor(
    readonly prefix: string | undefined,
    readonly limit: number | undefined,
    readonly afterKey: string,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: list from cursor");
    const prefix = this.prefix === undefined || this.prefix === "" ? undefined : wellFormed(this.prefix);
    const limit = this.limit === undefined ? 1000 : this.limit >>> 0;
    let binary = "";
    for (const byte of utf8(this.afterKey)) binary += String.fromCharCode(byte);
    const cursor = btoa(binary);
    const expected = model.list({ prefix, limit, cursor, emptyPrefixOrCursor: this.prefix === "" });
    expectSame(expected, await observe(() => real.store.list({ prefix: this.prefix, limit: this.limit, cursor })), (r) => ({ ...(r as object) }));
    await expectSameState(model, real);
  }
  toString = () => `list(${show({ prefix: this.prefix, limit: this.limit, after: this.afterKey })})`;
}

class AdvanceCommand implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: clock advance");
    model.advance(this.ms);
    real.clock.advance(this.ms);
    await expectSameState(model, real);
  }
  toString = () => `clock.advance(${this.ms})`;
}

/** Closes the driver and opens a new one on the same data: everything must still be there (persistent drivers). */
class ReopenCommand implements Cmd {
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: reopen");
    await real.reopen!();
    real.reopened = true;
    await expectSameState(model, real);
  }
  toString = () => "reopen()";
}

/** Carries on through the other of two drivers open on the same data (another process or tab). */
class SwitchTwinCommand implements Cmd {
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: switch to the twin driver");
    await real.switchTwin!();
    await expectSameState(model, real);
  }
  toString = () => "switchToTwin()";
}

type QuickOp = { op: "put"; key: string; text: string; mode?: string; metadata?: string; ttl?: number } | { op: "get"; key: string } | { op: "delete"; key: string };

/**
 * Several calls issued without awaiting, then awaited together. §10.8: effects apply in call order,
 * so each call's outcome is the model's when applied one after the other. (Memory driver only: it
 * answers synchronously; asynchronous drivers interleave and are checked by the contract suite.)
 */
class ConcurrentCommand implements Cmd {
  constructor(readonly ops: QuickOp[]) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: concurrent batch");
    const expected: Outcome<unknown>[] = [];
    const pending: Promise<Observed<unknown>>[] = [];
    for (const op of this.ops) {
      const key = wellFormed(op.key);
      if (op.op === "put") {
        const mode = (op.mode !== undefined && KNOWN_MODES.includes(op.mode) ? op.mode : "overwrite") as ModelMode;
        expected.push(model.put(key, { value: utf8(op.text), metadata: op.metadata === undefined ? undefined : utf8(op.metadata), ttlSeconds: op.ttl, mode }));
        const options: Record<string, unknown> = {};
        if (op.mode !== undefined) options.mode = op.mode;
        if (op.metadata !== undefined) options.metadata = op.metadata;
        if (op.ttl !== undefined) options.ttl = op.ttl;
        pending.push(observe(() => real.store.put(op.key, op.text, options)));
      } else if (op.op === "get") {
        const found = model.get(key);
        expected.push(!found.ok ? found : found.value === null ? { ok: true, value: null } : { ok: true, value: { value: hex(found.value.value), metadata: hex(found.value.metadata) } });
        pending.push(observe(async () => entryOf(await real.store.get(op.key))));
      } else {
        expected.push(model.delete(key));
        pending.push(observe(() => real.store.delete(op.key)));
      }
    }
    const observed = await Promise.all(pending);
    for (let i = 0; i < observed.length; i++) expectSame(expected[i]!, observed[i]!);
    const written = new Set(this.ops.filter((op, i) => op.op === "put" && observed[i]!.ok).map((op) => wellFormed(op.key)));
    // A key written then deleted in the same batch has no record left to note.
    for (const key of written) if ((await rawGeneration(real, key)) !== undefined) await noteWrite(real, key, false);
    await expectSameState(model, real);
  }
  toString = () => `concurrently(${show(this.ops)})`;
}

const quickOpArb: fc.Arbitrary<QuickOp> = fc.oneof(
  fc.record(
    {
      op: fc.constant("put" as const),
      key: keyArb,
      text: fc.string({ maxLength: 4 }),
      mode: fc.constantFrom("overwrite", "add", "append", "prepend"),
      metadata: fc.string({ maxLength: 4 }),
      ttl: fc.constantFrom(0, 1, 5),
    },
    { requiredKeys: ["op", "key", "text"] },
  ),
  fc.record({ op: fc.constant("get" as const), key: keyArb }),
  fc.record({ op: fc.constant("delete" as const), key: keyArb }),
);

export interface CommandOptions {
  /** Include batches of un-awaited calls (drivers that apply calls in call order). */
  concurrent?: boolean;
  /** Include closing and reopening the driver (persistent drivers; the factory must give `reopen`). */
  reopen?: boolean;
  /** Include switching between two drivers open on the same data (the factory must give `twin`). */
  twin?: boolean;
}

export function commandArbs(options: CommandOptions = {}): fc.Arbitrary<Cmd>[] {
  const arbs: fc.Arbitrary<Cmd>[] = [
    // Puts are a third of the commands, so keys live long enough for modes and generations to matter.
    ...Array.from({ length: 4 }, () =>
      fc.tuple(keyArb, valueArb, putOptionsArb).map(([key, value, opts]) => new PutCommand(key, value, opts)),
    ),
    keyArb.map((key) => new GetCommand(key)),
    keyArb.map((key) => new DeleteCommand(key)),
    fc
      .tuple(keyArb, fc.option(fc.constantFrom<GenChoice>("current", "stale", "never"), { nil: undefined }), fc.boolean())
      .map(([key, gen, force]) => new AdminDeleteCommand(key, gen, force)),
    fc.tuple(prefixArb, listLimitArb, fc.boolean()).map(([prefix, limit, noSync]) => new ListWalkCommand(prefix, limit, noSync)),
    fc.tuple(prefixArb, listLimitArb, keyArb).map(([prefix, limit, after]) => new ListFromCommand(prefix, limit, after)),
    advanceArb.map((ms) => new AdvanceCommand(ms)),
  ];
  if (options.reopen) arbs.push(fc.constant(new ReopenCommand()));
  if (options.twin) arbs.push(fc.constant(new SwitchTwinCommand()), fc.constant(new SwitchTwinCommand()));
  if (options.concurrent) arbs.push(fc.array(quickOpArb, { minLength: 2, maxLength: 5 }).map((ops) => new ConcurrentCommand(ops)));
  return arbs;
}
