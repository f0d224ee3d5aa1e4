/**
 * Differential tests: one app (test/wasm/fixtures/kv-app), one script of requests, run through
 * edge-kv's JavaScript app host and through Fastly's real runtime (edge-kv/wasm). Both must give the
 * same responses and leave the same stores (value, metadata, generation, expiry). Generations are
 * made comparable by a frozen clock and a fixed Math.random for the core's fresh-key offset.
 * A difference is a fidelity bug in one of the two: docs/wasm-host.md lists what was found.
 */
import { FakeClock, resetRegistry, type KVRegistry } from "edge-kv";
import { loadApp } from "edge-kv/host";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadWasmApp } from "../../src/wasm/index.js";
import { fixtureWasm } from "./helpers.js";

const ENTRY = "test/wasm/fixtures/kv-app/src/index.js";
const START = Date.UTC(2026, 0, 1);

type Step = string | { path: string; method?: string; body?: string } | { advance: number };

interface Outcome {
  responses: { step: string; status: number; body: unknown }[];
  state: Record<string, Record<string, { value: string; metadata: string | null; generation: number; expiresAt: number | null }>>;
}

interface Fetcher {
  fetch(input: string, init?: RequestInit): Promise<Response>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** Runs `steps` on a fresh registry; `${gen:key}` is the key's current generation, `${cursor}` the last list's cursor. */
async function run(load: () => Promise<Fetcher>, steps: Step[], stores: string[] = ["kv"]): Promise<Outcome> {
  const clock = new FakeClock(START);
  const registry: KVRegistry = resetRegistry({ clock });
  for (const name of stores) registry.defineStore(name);
  registry.defineConfigStore("settings", { greeting: "hello", long: "é".repeat(5000) });
  registry.defineSecretStore("vault", { token: "s3cret" });
  registry.env.set({ API_URL: "https://api.test" });
  vi.spyOn(Math, "random").mockReturnValue(0.5);
  const app = await load();
  const outcome: Outcome = { responses: [], state: {} };
  let cursor = "";
  try {
    for (const step of steps) {
      if (typeof step === "object" && "advance" in step) {
        clock.advance(step.advance);
        continue;
      }
      const { path, method, body } = typeof step === "string" ? { path: step, method: undefined, body: undefined } : step;
      let resolved = path.replace("${cursor}", encodeURIComponent(cursor));
      for (const [, key] of resolved.matchAll(/\$\{gen:([^}]+)\}/g)) {
        const record = await registry.store("kv").inspect(key!);
        resolved = resolved.replace(`\${gen:${key}}`, String(record?.generation ?? 0));
      }
      const response = await app.fetch(`http://app.test${resolved}`, method ? { method, body: body ?? "" } : undefined);
      const text = await response.text();
      const parsed = response.headers.get("content-type") === "application/json" ? (JSON.parse(text) as { cursor?: string | null }) : text;
      if (typeof parsed === "object" && typeof parsed.cursor === "string") cursor = parsed.cursor;
      outcome.responses.push({ step: resolved, status: response.status, body: parsed });
    }
    await app.settled();
  } finally {
    await app.close();
    vi.restoreAllMocks();
  }
  for (const name of stores) {
    outcome.state[name] = {};
    for (const entry of await registry.store(name).entries()) {
      outcome.state[name][entry.key] = { value: entry.text, metadata: entry.metadataText, generation: entry.generation, expiresAt: entry.expiresAt?.getTime() ?? null };
    }
  }
  return outcome;
}

const put = (query: string, body = "value") => ({ path: `/put?${query}`, method: "POST", body });

const SCRIPTS: Record<string, Step[]> = {
  "put, get, overwrite, delete": [put("key=a", "one"), "/get?key=a", put("key=a", "two"), "/get?key=a", "/delete?key=a", "/get?key=a", "/delete?key=a"],
  "metadata, TTL and expiry": [put("key=m&metadata=hello", "v"), "/get?key=m", put("key=t&ttl=30", "short"), { advance: 29_000 }, "/get?key=t", { advance: 1_000 }, "/get?key=t", "/list"],
  "insert modes": [put("key=k", "b"), put("key=k&mode=add", "x"), put("key=k&mode=append", "c"), put("key=k&mode=prepend", "a"), put("key=new&mode=add", "n"), put("key=k&mode=bogus", "z"), "/get?key=k"],
  "if-generation-match": [put("key=g", "1"), put("key=g&gen=${gen:g}", "2"), put("key=g&gen=1", "3"), put("key=missing&gen=5", "x"), put("key=g&gen=0", "y"), "/get?key=g"],
  "list pages": [put("key=p1"), put("key=p2"), put("key=p3"), put("key=q1"), "/list?prefix=p&limit=2", "/list?prefix=p&limit=2&cursor=${cursor}", "/list?limit=0", "/list?cursor=%25%25"],
  "key rules and unknown stores": ["/get?key=", "/get?key=.", put("key=a%0Ab"), "/delete?key=..", "/open?store=nope", put("key=%F0%9F%98%80", "astral"), put("key=%EE%80%80", "bmp"), "/list"],
  "metadata limit": [put(`key=big&metadata=${"x".repeat(1001)}`), "/get?key=big"],
  "edge values: empty value and metadata, fractional TTL and gen, odd limits": [
    put("key=e&metadata=", ""), "/get?key=e", put("key=f&ttl=1.5"), put("key=h&ttl=0"), "/get?key=h", put("key=i&ttl=-1"),
    put("key=f&gen=2.5"), "/list?limit=-1", "/list?limit=1.5", put("key=j&ttl=4294967296"),
  ],
  "expired keys: add, append, delete, list": [put("key=x&ttl=10", "old"), { advance: 10_000 }, put("key=x&mode=append", "new"), "/get?key=x", put("key=y&ttl=10"), { advance: 10_000 }, "/delete?key=y", put("key=z&ttl=10"), { advance: 10_000 }, put("key=z&mode=add", "added"), "/list"],
  "config stores, dictionaries, secret stores, env": [
    "/config?store=settings&key=greeting", "/config?store=settings&key=missing", "/config?store=nope&key=a", "/config?store=settings&key=",
    `/config?store=settings&key=${"k".repeat(256)}`, "/dictionary?store=settings&key=greeting", "/dictionary?store=settings&key=long",
    "/config?store=settings&key=long", "/secret?store=vault&key=token", "/secret?store=vault&key=missing", "/secret?store=nope&key=a",
    "/secret?store=vault&key=bad key", "/env?name=FASTLY_HOSTNAME", "/env?name=FASTLY_TRACE_ID", "/env?name=API_URL", "/env?name=NOPE",
  ],
};

/**
 * Known differences, each pinned on both sides exactly (so a fix on either side shows up here). None
 * today: the three this suite found — metadata over the limit ("KVStore insert: Payload too large."),
 * a fractional gen (truncated), and the Host header of in-process requests — are fixed in the JS side.
 */
const KNOWN: Record<string, { step: string; js: unknown; real: unknown; why: string }[]> = {};

describe("the JS app host and the real runtime agree", () => {
  let wasm: string;
  beforeAll(async () => {
    wasm = await fixtureWasm(ENTRY);
  });
  afterEach(() => vi.restoreAllMocks());

  for (const [name, steps] of Object.entries(SCRIPTS)) {
    it(name, async () => {
      const js = await run(() => loadApp(ENTRY, { onError: () => undefined }) as Promise<Fetcher>, steps);
      const real = await run(() => loadWasmApp({ wasm, thread: "main", echo: false }), steps);
      for (const known of KNOWN[name] ?? []) {
        const index = js.responses.findIndex((response) => response.step === known.step);
        expect(js.responses[index]!.body).toEqual(known.js);
        expect(real.responses[index]!.body).toEqual(known.real);
        js.responses[index]!.body = known.real;
      }
      expect(js).toEqual(real);
    });
  }
});
