/**
 * The property-based differential test's pieces: adversarial pools, the script arbitrary, and a
 * runner that sends a script to an app host (the JS one or the real runtime) on a fresh registry and
 * returns what every operation answered and what the stores hold afterwards.
 */
import fc from "fast-check";
import { FakeClock, resetRegistry, type KVRegistry } from "edge-kv";
import { toWellFormed } from "../../src/utf8.js";
import { vi } from "vitest";

export const ENTRY = "test/wasm/fixtures/script-app/src/index.js";
const START = Date.UTC(2026, 0, 1);

const tag = (kind: string, v?: unknown) => (v === undefined ? { $: kind } : { $: kind, v });
const num = (text: string) => tag("number", text);
const bytes = (list: number[]) => tag("bytes", list);

/**
 * Keys that have bitten key/value stores: a BOM a decoder drops, non-characters, lone surrogates (the
 * runtime encodes them as U+FFFD), NUL, line/paragraph separators, dot names, forbidden characters,
 * astral characters, the 1024-byte limit in 1-, 2- and 4-byte characters, the acme-challenge prefix,
 * and pairs that differ only by Unicode normalization. Plus non-strings (ToString'd).
 */
export const KEY_POOL: unknown[] = [
  "a", "b", "ab", "\uFEFFa", "\uFEFF", "a\uFEFF", "\uFFFE", "\uFFFF", "\uD800", "\uDC00", "a\uD800", "\uD83D", "\uFFFD",
  "\u0000", "a\u0000b", "\u2028", "\u2029", "\u0085", ".", "..", "./x", "a/..", "a/.", "../", "\r\n", "a\rb", "a#b", "|",
  "\u{1F600}", "\u{10FFFF}", "\uE000", "k".repeat(1024), "é".repeat(512), "\u{1F600}".repeat(256), "k".repeat(1025), "é".repeat(512) + "a",
  "\uD800".repeat(341) + "a", ".well-known/acme-challenge/x", ".well-known/acme-challenge", ".well-known/acme-challengex", "é", "e\u0301",
  "\u00C5", "\u212B", " ", "\t", "\u007F", "__proto__", "", "a/b", 42, null, tag("undefined"), -0, ["a", "b"], tag("stringish", "\uFEFFa"),
  tag("throwing"), tag("symbol", "k"),
];

/** Prefixes: as keys, plus the empty string and half a surrogate pair (it must match U+FFFD, never the emoji). */
const PREFIX_POOL: unknown[] = [tag("undefined"), "", "a", "\uFEFF", "\uD83D", "\uFFFD", "é", "e", "k", "\u{1F600}", ".", ".well-known/", "\u0000", null, 5];

const TEXT_POOL = ["", "v", "\uFEFFbom", "\uD800", "a\uDC00b", "\r\n", "\u0000", "é\u{1F600}", "\uFFFE\uFFFF", " padded "];
const BYTES_POOL: number[][] = [[], [0], [0xff], [0xef, 0xbb, 0xbf], [0xc3], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x61, 0x0d, 0x0a]];

const valueArb = fc.oneof(
  fc.constantFrom<unknown>(...TEXT_POOL),
  fc.constantFrom(...BYTES_POOL).map(bytes),
  fc.constantFrom(...BYTES_POOL).map((list) => tag("buffer", list)),
  fc.constantFrom(tag("params", [["a", "\uD800"], ["é", "&="]]), 0, -1.5, 1e21, null, tag("undefined"), true, num("NaN"), ["a", "b"], tag("blob", "blob\uD800")),
  fc.constantFrom(...BYTES_POOL).map((list) => tag("dataview", list)),
  fc.constantFrom([], [1, 2], [0xff, 0xfe, 0, 1]).map((list) => tag("u16", list)),
  fc.constantFrom(tag("stringish", "\uFEFFs"), tag("throwing"), tag("symbol", "v")),
);

const metadataArb = fc.oneof(
  fc.constantFrom<unknown>(...TEXT_POOL, " lead", "trail ", "a\nb", "x".repeat(1000), "x".repeat(1001), "é".repeat(500) + "x"),
  fc.constantFrom(...BYTES_POOL).map(bytes),
  fc.constantFrom(...BYTES_POOL).map((list) => tag("buffer", list)),
  fc.constantFrom(null, 42, tag("object", {})),
);

const ttlArb = fc.constantFrom<unknown>(0, 1, 30, 0.4, 0.5, 1.5, 2.5, -1, -0, num("NaN"), "5", "abc", "", null, 4294967295, 4294967296, 1e-9, num("Infinity"), true);
const genArb = fc.constantFrom<unknown>(tag("gen"), tag("gen"), 0, 1, 2.5, -1, num("NaN"), "2", null, true, 2 ** 53, 2 ** 64, num("Infinity"), 1e-9);
const modeArb = fc.constantFrom<unknown>("overwrite", "add", "append", "prepend", "bogus", "ADD", "add ", 1, null);

const putOptionsArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<unknown>(tag("undefined"), null, "ttl", 5) },
  {
    weight: 5,
    arbitrary: fc
      .record({ metadata: metadataArb, ttl: ttlArb, gen: genArb, mode: modeArb }, { requiredKeys: [] })
      .map((options) => tag("object", options)),
  },
);

const cursorArb = fc.constantFrom<unknown>(tag("cursor"), tag("cursor"), "", "%%", "/w==", "7aCA", "YQ==", "YQ", 5, null, tag("undefined"));
const limitArb = fc.constantFrom<unknown>(tag("undefined"), 0, 1, 2, 3, -1, 1.5, "2", null, 2 ** 32 + 1, num("NaN"), 1000);
const listOptionsArb = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<unknown>(tag("undefined"), null, "x", tag("object", {})) },
  {
    weight: 6,
    arbitrary: fc
      .record({ prefix: fc.constantFrom(...PREFIX_POOL), limit: limitArb, cursor: cursorArb, noSync: fc.constantFrom<unknown>(true, false, "yes") }, { requiredKeys: [] })
      .map((options) => tag("object", options)),
  },
);

const keyArb = fc.oneof({ weight: 3, arbitrary: fc.constantFrom<unknown>("a", "ab", "\uFEFFa", "é", "e\u0301", "\uD800") }, { weight: 4, arbitrary: fc.constantFrom(...KEY_POOL) });
const storeArb = fc.constantFrom("kv", "kv", "vk");
const readArb = fc.constantFrom("bytes", "bytes", "text", "json");

const storeNameArb = fc.constantFrom<unknown>("kv", "vk", "nope", "", "kv\u0000", "\u007Fkv", "s".repeat(255), "s".repeat(256), "é".repeat(128), "\uFEFFkv", "k\uD800", 5, tag("throwing"), tag("symbol", "s"));

const kvOpArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant("put"), store: storeArb, key: keyArb, value: valueArb, options: putOptionsArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("copy"), store: storeArb, from: keyArb, to: keyArb, options: putOptionsArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constantFrom("reread", "twice"), store: storeArb, key: keyArb }) },
  { weight: 1, arbitrary: fc.oneof(fc.record({ op: fc.constant("open"), name: storeNameArb }), fc.record({ op: fc.constant("arity"), store: storeArb, method: fc.constantFrom("get", "put", "delete", "list") })) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("get"), store: storeArb, key: keyArb, read: readArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete"), store: storeArb, key: keyArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("list"), store: storeArb, options: listOptionsArb }) },
);

export type Op = Record<string, unknown>;
export type Step = Op | { advance: number };

export const scriptArb: fc.Arbitrary<Step[]> = fc.array(
  fc.oneof(
    { weight: 12, arbitrary: kvOpArb as fc.Arbitrary<Step> },
    { weight: 1, arbitrary: fc.constantFrom(500, 1000, 1500, 30_000).map((advance) => ({ advance })) },
    {
      weight: 1,
      arbitrary: fc
        .array(fc.oneof(fc.record({ op: fc.constantFrom("put", "delete"), key: keyArb, value: valueArb }), fc.record({ op: fc.constant("get"), key: keyArb, read: fc.constant("bytes") })), { minLength: 2, maxLength: 4 })
        .map((ops) => ({ op: "concurrent", store: "kv", ops })),
    },
  ),
  { minLength: 1, maxLength: 14 },
);

/** Config store items, secrets and env values with odd names, defined alike for both hosts. */
export const CONFIG_ITEMS: Record<string, string> = {
  a: "plain", "\uFEFFa": "bom key", "é": "nfc", "e\u0301": "nfd", "\u0000": "nul", "a\u0000b": "inner nul", "\u2028": "ls",
  "\uFFFD": "replacement", ["k".repeat(255)]: "long", ["é".repeat(127)]: "254 bytes", lone: "\uD800", crlf: "a\r\nb", empty: "",
};
export const SECRETS: Record<string, string | Uint8Array> = { token: "s3cret", "a.b-c_d": "dots", raw: new Uint8Array([0xff, 0x00]), bom: "\uFEFFx", empty: "" };
export const ENV: Record<string, string> = { API_URL: "https://api.test", "\uFEFFBOM": "bom", "A\u2028": "ls", LONE: "\uD800", "É": "accent", SPACE: " padded " };

const configKeyArb = fc.constantFrom<unknown>(...Object.keys(CONFIG_ITEMS), "missing", "", "k".repeat(256), "é".repeat(128), "\uD800", 5, null);
const configNameArb = fc.constantFrom<unknown>("settings", "Settings", "nope", "", "set tings", "é", "\uFEFFsettings", "s".repeat(256));
const secretKeyArb = fc.constantFrom<unknown>(...Object.keys(SECRETS), "missing", "", "bad key", "é", "a".repeat(256), "\uD800", 5, null);
const secretNameArb = fc.constantFrom<unknown>("vault", "nope", "", "va/ult", "v".repeat(256), "\uFEFFvault");
const envNameArb = fc.constantFrom<unknown>(...Object.keys(ENV), "FASTLY_HOSTNAME", "FASTLY_POP", "NOPE", "", "\uFFFDBOM", "BOM", "A", "É", "E\u0301", "API_URL\u0000x", 5, null);

export const resourceScriptArb: fc.Arbitrary<Op[]> = fc.array(
  fc.oneof(
    fc.record({ op: fc.constantFrom("config", "dictionary"), store: configNameArb, key: configKeyArb }),
    fc.record({ op: fc.constant("secret"), store: secretNameArb, key: secretKeyArb }),
    fc.record({ op: fc.constant("env"), name: envNameArb }),
  ),
  { minLength: 1, maxLength: 20 },
);

export interface Fetcher {
  fetch(input: string, init?: RequestInit): Promise<Response>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface StoreState {
  [key: string]: { value: number[]; metadata: number[] | null; generation: number; expiresAt: number | null };
}
export interface Outcome {
  results: unknown[];
  state: Record<string, StoreState>;
}

/** A fresh registry like both hosts get: production store "kv", Viceroy-profile store "vk", config, secrets, env. */
function freshRegistry(clock: FakeClock): KVRegistry {
  const registry = resetRegistry({ clock });
  registry.defineStore("kv");
  registry.defineStore("vk", { profile: "viceroy" });
  registry.defineConfigStore("settings", CONFIG_ITEMS);
  registry.defineSecretStore("vault", SECRETS);
  registry.env.set(ENV);
  return registry;
}

/**
 * Runs `steps`: consecutive operations go in one request; a clock advance, or an operation that needs a
 * key's current generation ({ $: "gen" } as `gen`: the key's generation at that point, 0 if none), starts
 * a new one. One app instance serves the whole script.
 */
export async function runScript(load: () => Promise<Fetcher>, steps: Step[]): Promise<Outcome> {
  const clock = new FakeClock(START);
  const registry = freshRegistry(clock);
  vi.spyOn(Math, "random").mockReturnValue(0.5);
  const app = await load();
  const outcome: Outcome = { results: [], state: {} };
  try {
    let batch: Op[] = [];
    const send = async () => {
      if (batch.length === 0) return;
      const response = await app.fetch("http://app.test/", { method: "POST", body: JSON.stringify(batch) });
      const text = await response.text();
      if (response.status !== 200) throw new Error(`the app answered ${response.status}: ${text}`);
      outcome.results.push(...(JSON.parse(text) as unknown[]));
      batch = [];
    };
    for (const step of steps) {
      if ("advance" in step) {
        await send();
        clock.advance(step.advance as number);
        continue;
      }
      const options = (step as { options?: { v?: { gen?: unknown } } }).options;
      if ((options?.v?.gen as { $?: string } | null | undefined)?.$ === "gen") {
        await send();
        const key = typeof step.key === "string" ? toWellFormed(step.key) : String(step.key);
        const record = await registry.store(String(step.store)).inspect(key).catch(() => null);
        batch.push({ ...step, options: { ...options, v: { ...options!.v, gen: record?.generation ?? 0 } } });
        continue;
      }
      batch.push(step);
    }
    await send();
    await app.settled();
  } finally {
    await app.close();
    vi.restoreAllMocks();
  }
  for (const name of ["kv", "vk"]) {
    const state: StoreState = (outcome.state[name] = {});
    for (const entry of await registry.store(name).entries()) {
      state[entry.key] = { value: [...entry.value], metadata: entry.metadata && [...entry.metadata], generation: entry.generation, expiresAt: entry.expiresAt?.getTime() ?? null };
    }
  }
  return outcome;
}

/** Runs a script of config/secret/env lookups (no store changes). */
export async function runLookups(load: () => Promise<Fetcher>, ops: Op[]): Promise<unknown[]> {
  return (await runScript(load, ops)).results;
}
