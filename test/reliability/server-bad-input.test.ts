/**
 * Bad input never writes, over REST (Fastly dialect): generated malformed URLs (unknown stores, broken
 * percent-encoding, keys that break the key rules, unknown endpoints and methods), malformed query
 * parameters and headers, oversize bodies, malformed NDJSON batch lines and malformed JSON bodies.
 * Each gets its status and Fastly's error envelope — `{msg, detail}` with the status text, or for a
 * batch `{type, title: "error at index: N", errors: [{key, index, code, reason}]}` — and afterwards
 * every store's records and the store list are exactly what they were.
 */
import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KVRegistry, type StoreAdmin } from "edge-kv";
import { fileSystemStores } from "edge-kv/node";
import { createServer, type RestServer } from "edge-kv/server";
import { checkProperty, count, printTally, runs } from "./settings.js";
import { dumpDriver } from "./support.js";
import { snapshotFolder, temporaryRoot } from "./fs-support.js";

const MAX_VALUE = 4096;
const MAX_BATCH = 64 * 1024;
const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 404: "Record not found", 405: "Method Not Allowed", 413: "Payload Too Large" };

let server: RestServer | undefined;
let registry: KVRegistry | undefined;
let admins: StoreAdmin[];
let storeId: string;
let dialectIds: Record<"fastly" | "apify" | "telnyx", string>;
let before: string;

/** Where the stores live: memory, or one folder per store (then every byte on disk is compared too). */
let kind: "memory" | "fs" = "memory";
let folder: string | undefined;
let worlds = 0;
const { root, remove } = temporaryRoot("server-bad-input");

async function state(): Promise<string> {
  const stores = await send("GET", "/resources/stores/kv");
  const dumps = await Promise.all(admins.map((admin) => dumpDriver(admin.core.driver)));
  return JSON.stringify([registry!.storeNames(), JSON.parse(stores.body), dumps, folder === undefined ? null : snapshotFolder(folder)]);
}

async function seed(): Promise<void> {
  for (const admin of admins) await admin.clear();
  await admins[0]!.put("k", "value k", { metadata: "m" });
  await admins[0]!.put("a/b", "value a/b", { ttl: 3600 });
  await admins[1]!.put("k", "other k");
}

/** A fresh registry, seeded, behind a fresh server: used at the start and after any request changed the stores. */
async function resetWorld(): Promise<void> {
  await server?.close();
  await registry?.reset();
  folder = kind === "fs" ? join(root, `world-${++worlds}`) : undefined;
  registry = new KVRegistry(folder === undefined ? {} : { createDriver: fileSystemStores(folder, { durability: "relaxed" }) });
  admins = [registry.defineStore("target"), registry.defineStore("other")];
  await seed();
  server = await createServer({ registry, limits: { maxValueBytes: MAX_VALUE, maxBatchBytes: MAX_BATCH } });
  const stores = JSON.parse((await send("GET", "/resources/stores/kv")).body) as { data: { id: string; name: string }[] };
  storeId = stores.data.find((store) => store.name === "target")!.id;
  const apify = JSON.parse((await send("GET", "/v2/key-value-stores")).body) as { data: { items: { id: string; name: string }[] } };
  const telnyx = JSON.parse((await send("GET", "/v2/storage/kvs")).body) as { data: { id: string; name: string }[] };
  dialectIds = {
    fastly: storeId,
    apify: apify.data.items.find((store) => store.name === "target")!.id,
    telnyx: telnyx.data.find((store) => store.name === "target")!.id,
  };
  before = await state();
}

afterAll(async () => {
  await server?.close();
  await registry?.reset();
  remove();
  printTally("server bad input");
});

interface Reply {
  status: number;
  body: string;
}

/** Sends exactly this method, raw path, headers and body (no URL normalisation), bounded in time. */
function send(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Reply> {
  // Frame every body: Node's client sends a GET/DELETE body unframed, which would read as a second request.
  if (body !== undefined) headers = { ...headers, "content-length": String(Buffer.byteLength(body)) };
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server!.port, method, path, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 10 s`)));
    req.on("error", reject);
    req.end(body);
  });
}

/**
 * The same over a raw socket, for header bytes Node's client would re-encode (it sends header strings
 * as UTF-8): `rawHeaders` go on the wire byte for byte. Reads until the server closes.
 */
function sendRaw(method: string, path: string, rawHeaders: Buffer, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const socket = connect(server!.port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`${method} ${path}: no answer within 10 s`)), 10_000);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("utf8");
      const split = text.indexOf("\r\n\r\n");
      resolve({ status: Number(text.slice(9, 12)), body: split === -1 ? "" : text.slice(split + 4) });
    });
    socket.on("connect", () => {
      const head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
      socket.end(Buffer.concat([Buffer.from(head), rawHeaders, Buffer.from(`\r\n${body}`)]));
    });
  });
}

interface BadRequest {
  label: string;
  method: string;
  /** Path with `{id}` for the target store's id. */
  path: string;
  headers?: Record<string, string>;
  /** Header lines sent byte for byte (each ending in CRLF), over a raw socket. */
  rawHeaders?: Buffer;
  body?: string | Buffer;
  status: number;
  /** For batch errors: the index and code of the first bad line. */
  batch?: { index: number; code: string; key: string };
}

const bad = (label: string, method: string, path: string, status: number, extra: Partial<BadRequest> = {}): BadRequest => {
  const made = { label, method, path, status, ...extra };
  Object.defineProperty(made, "toString", { value: () => `${label}: ${method} ${path}` });
  return made;
};

const ITEM = "/resources/stores/kv/{id}/keys";
const b64 = (text: string | Buffer) => Buffer.from(text).toString("base64");

// ---- URLs ----
const INVALID_KEY_SEGMENTS = ["a%3Fb", "a%23b", "a%3Bb", "a%5Eb", "a%7Cb", "x%0Ay", "%0D", ".", "..", "%2E%2E", "%2e", ".well-known%2Facme-challenge%2Fx", ".well-known/acme-challenge/x", "k".repeat(1025), "%F0%9F%98%80".repeat(257)];
const BROKEN_ENCODINGS = ["%", "%ZZ", "a%2", "%E0%A4%A", "%C3", "%FF", "%ED%A0%80"];
const urlArb: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.tuple(fc.constantFrom(...INVALID_KEY_SEGMENTS), fc.constantFrom("GET", "PUT", "DELETE", "HEAD")).map(([segment, method]) => bad("invalid key", method, `${ITEM}/${segment}`, 400, method === "PUT" ? { body: "v" } : {})),
  fc.tuple(fc.constantFrom(...BROKEN_ENCODINGS), fc.constantFrom("GET", "PUT", "DELETE")).map(([segment, method]) => bad("broken percent-encoding", method, `${ITEM}/${segment}`, 400, method === "PUT" ? { body: "v" } : {})),
  fc.constantFrom("GET", "PUT", "DELETE").map((method) => bad("empty key", method, `${ITEM}/`, 400, method === "PUT" ? { body: "v" } : {})),
  fc.tuple(fc.constantFrom("nosuchstore", "%00", "..", "%2E%2E%2Fother", "__proto__", "constructor"), fc.constantFrom("/keys/k", "/keys", "", "/batch")).map(([id, rest]) =>
    bad("unknown store", rest === "/batch" ? "PUT" : "GET", `/resources/stores/kv/${id}${rest}`, 404),
  ),
  fc.constantFrom("/resources/stores/kv/{id}/nope", "/resources/stores/kv/{id}/batch/x", "/resources/stores/kv/{id}/keysx").map((path) => bad("unknown endpoint", "GET", path, 404)),
  fc.constantFrom<[string, string]>(["PATCH", `${ITEM}/k`], ["POST", ITEM], ["DELETE", "/resources/stores/kv"], ["GET", "/resources/stores/kv/{id}/batch"], ["OPTIONS", `${ITEM}/k`]).map(([method, path]) =>
    bad("method not allowed", method, path, 405),
  ),
);

// ---- query parameters ----
const queryArb: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.constantFrom("add=yes", "append=maybe", "prepend=2", "background_fetch=nope", "add=true&append=true", "append=1&prepend=true").map((query) => bad("bad insert flag", "PUT", `${ITEM}/k?${query}`, 400, { body: "v" })),
  fc.constantFrom("limit=0", "limit=-1", "limit=abc", "limit=1.5", "limit=", "limit=1e3", "consistency=weird", "cursor=!!!!", "cursor=%FF", "cursor=YWJjZ").map((query) => bad("bad list parameter", "GET", `${ITEM}?${query}`, 400)),
  fc.constantFrom("force=nope", "force=2").map((query) => bad("bad force flag", "DELETE", `${ITEM}/k?${query}`, 400)),
  fc.constantFrom("limit=0", "limit=1001", "limit=x", "cursor=!!").map((query) => bad("bad store list parameter", "GET", `/resources/stores/kv?${query}`, 400)),
);

// ---- headers ----
const BAD_GENERATIONS = ["abc", "-1", "0", "1.5", "99999999999999999999", "", "0x10", " "];
const BAD_TTLS = ["-1", "abc", "4294967296", "1e3", "1.5", ""];
const headerArb: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.constantFrom(...BAD_GENERATIONS).map((gen) => bad(`if-generation-match ${JSON.stringify(gen)}`, "PUT", `${ITEM}/k`, 400, { headers: { "if-generation-match": gen }, body: "v" })),
  fc.constantFrom(...BAD_GENERATIONS).map((gen) => bad(`delete if-generation-match ${JSON.stringify(gen)}`, "DELETE", `${ITEM}/k`, 400, { headers: { "if-generation-match": gen } })),
  fc.constantFrom(...BAD_TTLS).map((ttl) => bad(`time_to_live_sec ${JSON.stringify(ttl)}`, "PUT", `${ITEM}/k`, 400, { headers: { time_to_live_sec: ttl }, body: "v" })),
  fc.constant(bad("metadata of 2001 bytes", "PUT", `${ITEM}/k`, 400, { headers: { metadata: "m".repeat(2001) }, body: "v" })),
  // Bytes that are not UTF-8 (a lone continuation, a truncated sequence, an encoded surrogate).
  fc.constantFrom([0xff, 0xfe], [0x61, 0xc3], [0xed, 0xa0, 0x80], [0x80]).map((bytes) =>
    bad(`metadata bytes ${Buffer.from(bytes).toString("hex")}`, "PUT", `${ITEM}/k`, 400, { rawHeaders: Buffer.concat([Buffer.from("metadata: "), Buffer.from(bytes), Buffer.from("\r\n")]), body: "v" }),
  ),
  fc.integer({ min: MAX_VALUE + 1, max: MAX_VALUE * 3 }).map((size) => bad(`value of ${size} bytes`, "PUT", `${ITEM}/k`, 413, { body: Buffer.alloc(size, 0x62) })),
);

// ---- NDJSON batch ----
type LineFault = { code: string; line: (key: string) => string; key: (key: string) => string };
const LINE_FAULTS: LineFault[] = [
  { code: "invalid_json", line: () => "{not json", key: () => "" },
  { code: "invalid_json", line: () => "[1,2]", key: () => "" },
  { code: "invalid_json", line: () => '"just a string"', key: () => "" },
  { code: "unknown_field", line: (k) => JSON.stringify({ key: k, value: b64("v"), extra: 1 }), key: (k) => k },
  { code: "unknown_field", line: (k) => `{"key":${JSON.stringify(k)},"value":"${b64("v")}","__proto__":{"polluted":1}}`, key: (k) => k },
  { code: "invalid_key", line: () => JSON.stringify({ value: b64("v") }), key: () => "" },
  { code: "invalid_key", line: () => JSON.stringify({ key: 5, value: b64("v") }), key: () => "" },
  { code: "invalid_key", line: () => JSON.stringify({ key: "a|b", value: b64("v") }), key: () => "a|b" },
  { code: "invalid_key", line: () => JSON.stringify({ key: "", value: b64("v") }), key: () => "" },
  { code: "invalid_value", line: (k) => JSON.stringify({ key: k }), key: (k) => k },
  { code: "invalid_value", line: (k) => JSON.stringify({ key: k, value: "!!!!" }), key: (k) => k },
  { code: "invalid_value", line: (k) => JSON.stringify({ key: k, value: 42 }), key: (k) => k },
  { code: "value_too_large", line: (k) => JSON.stringify({ key: k, value: b64(Buffer.alloc(MAX_VALUE + 1)) }), key: (k) => k },
  { code: "invalid_metadata", line: (k) => JSON.stringify({ key: k, value: b64("v"), metadata: 5 }), key: (k) => k },
  { code: "metadata_too_large", line: (k) => JSON.stringify({ key: k, value: b64("v"), metadata: "m".repeat(2001) }), key: (k) => k },
  { code: "invalid_ttl", line: (k) => JSON.stringify({ key: k, value: b64("v"), time_to_live_sec: -1 }), key: (k) => k },
  { code: "invalid_ttl", line: (k) => JSON.stringify({ key: k, value: b64("v"), time_to_live_sec: 1.5 }), key: (k) => k },
  { code: "invalid_ttl", line: (k) => JSON.stringify({ key: k, value: b64("v"), time_to_live_sec: "5" }), key: (k) => k },
  { code: "invalid_background_fetch", line: (k) => JSON.stringify({ key: k, value: b64("v"), background_fetch: "yes" }), key: (k) => k },
];
const batchArb: fc.Arbitrary<BadRequest> = fc
  .tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 0, max: 4 }), fc.constantFrom(...LINE_FAULTS), fc.constantFrom("\n", "\n\n", "\n   "))
  .map(([goodBefore, goodAfter, fault, separator]) => {
    // Valid lines around the bad one, overwriting existing keys and adding new ones: none may be written.
    const good = (i: number) => JSON.stringify({ key: i % 2 === 0 ? "k" : `new-${i}`, value: b64(`batch ${i}`), metadata: "batch" });
    const lines = [...Array.from({ length: goodBefore }, (_, i) => good(i)), fault.line("bad-line-key"), ...Array.from({ length: goodAfter }, (_, i) => good(goodBefore + i + 1))];
    return bad(`batch with ${fault.code} at line ${goodBefore}`, "PUT", "/resources/stores/kv/{id}/batch", 400, {
      headers: { "content-type": "application/x-ndjson" },
      body: lines.join(separator),
      batch: { index: goodBefore, code: fault.code, key: fault.key("bad-line-key") },
    });
  });
const oversizeBatchArb = fc.constant(bad("batch body over the limit", "PUT", "/resources/stores/kv/{id}/batch", 413, { body: Buffer.alloc(MAX_BATCH + 1, 0x20) }));

// ---- JSON bodies ----
const BAD_STORE_BODIES = ["{", "[]", '"x"', "null", "{}", '{"name": 5}', '{"name": ""}', '{"name": "a\\u0001b"}', `{"name": "${"é".repeat(128)}"}`, '{"name": null}', "", '{"__proto__": {"name": "p"}}'];
const jsonArb: fc.Arbitrary<BadRequest> = fc.oneof(
  fc.constantFrom(...BAD_STORE_BODIES).map((body) => bad(`create store with ${body.slice(0, 30)}`, "POST", "/resources/stores/kv", 400, { body, headers: { "content-type": "application/json" } })),
  fc.constantFrom(...BAD_STORE_BODIES).map((body) => bad(`rename store with ${body.slice(0, 30)}`, "PUT", "/resources/stores/kv/{id}", 400, { body, headers: { "content-type": "application/json" } })),
  fc.constantFrom("MARS", "us", "").map((location) => bad(`create store in ${location}`, "POST", `/resources/stores/kv?location=${location}`, 400, { body: '{"name":"fresh"}' })),
);

const requestArb = fc.oneof(
  { weight: 3, arbitrary: urlArb },
  { weight: 2, arbitrary: queryArb },
  { weight: 2, arbitrary: headerArb },
  { weight: 3, arbitrary: batchArb },
  { weight: 1, arbitrary: oversizeBatchArb },
  { weight: 2, arbitrary: jsonArb },
);

describe.each(["memory", "fs"] as const)("REST server: bad input never writes (Fastly dialect, %s stores)", (storeKind) => {
  beforeAll(async () => {
    kind = storeKind;
    await resetWorld();
  });

  it("answers generated malformed URLs, query parameters, headers, NDJSON lines and JSON bodies with their status and error envelope, leaving every store unchanged", async () => {
    const made = await checkProperty(
      fc.asyncProperty(requestArb, async (request) => {
        const path = request.path.replace("{id}", storeId);
        const reply = request.rawHeaders
          ? await sendRaw(request.method, path, request.rawHeaders, String(request.body ?? ""))
          : await send(request.method, path, request.headers, request.body);
        const after = await state();
        if (after !== before) {
          // Start over so the shrinking that follows starts from the same stores (and finds the real culprit).
          const expected = before;
          await resetWorld();
          expect(after, `state changed by ${String(request)} (answered ${reply.status} ${reply.body})`).toBe(expected);
        }
        expect(reply.status, String(request)).toBe(request.status);
        if (request.method !== "HEAD") {
          const body = JSON.parse(reply.body) as Record<string, unknown>;
          if (request.batch) {
            expect(body.type).toBe("");
            expect(body.title).toBe(`error at index: ${request.batch.index}`);
            const errors = body.errors as { key: string; index: number; code: string; reason: string }[];
            expect(errors).toHaveLength(1);
            expect(errors[0]).toMatchObject({ index: request.batch.index, code: request.batch.code, key: request.batch.key });
            expect(typeof errors[0]!.reason).toBe("string");
          } else {
            expect(body.msg, String(request)).toBe(STATUS_TEXT[request.status]);
            expect(typeof body.detail === "string" && body.detail.length > 0).toBe(true);
          }
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      runs(storeKind === "memory" ? 300 : 100),
    );
    count(`server: bad requests (${storeKind})`, made);
  }, 120_000);

  it("still serves the seeded data correctly afterwards", async () => {
    const reply = await send("GET", `/resources/stores/kv/${storeId}/keys/k`);
    expect(reply).toEqual({ status: 200, body: "value k" });
    expect(await state()).toBe(before);
  });
});

/**
 * Requests assembled from random pieces of all three dialects (Fastly, Apify, Telnyx): any method,
 * real or hostile store ids, any key segment, junk headers and bodies. Whatever the server makes of
 * them: it answers (no hang), never with a 5xx (an unhandled failure), and a request it refuses with
 * 4xx leaves every store as it was. Requests it accepts may write; the stores are then re-seeded.
 */
const DIALECTS = [
  { prefix: "/resources/stores/kv", id: "fastly", items: "keys" },
  { prefix: "/v2/key-value-stores", id: "apify", items: "records" },
  { prefix: "/v2/storage/kvs", id: "telnyx", items: "keys" },
] as const;
const KEY_PIECES = ["k", "a%2Fb", "a/b", "%", "%ZZ", "..", ".", "%2E%2E", "a%3Fb", "%0D%0A", "__proto__", "k".repeat(1025), "%F0%9F%98%80", "", "a%00b", "é"];
const fuzzArb = fc.record({
  dialect: fc.constantFrom(...DIALECTS),
  method: fc.constantFrom("GET", "HEAD", "PUT", "POST", "DELETE", "PATCH"),
  store: fc.constantFrom<"real" | string>("real", "real", "real", "real", "real", "real", "nosuch", "__proto__", "%", ".."),
  shape: fc.constantFrom("store", "items", "item", "item", "item", "batch", "junk"),
  key: fc.constantFrom("k", "k", "k", "new", "new", ...KEY_PIECES),
  query: fc.constantFrom("", "", "", "", "", "", "", "", "", "", "?add=maybe", "?limit=-1", "?limit=0", "?cursor=!!", "?exclusiveStartKey=%", "?force=true", "?append=true&prepend=true", "?prefix=%FF", "?page[size]=-1", "?page[number]=x"),
  headers: fc.dictionary(
    fc.constantFrom("content-type", "metadata", "if-generation-match", "time_to_live_sec", "content-encoding", "content-length"),
    fc.constantFrom("application/json", "application/x-ndjson", "text/plain", "-1", "abc", "99999999999999999999", "gzip", "br", "m", "", "0", "1e3"),
    { maxKeys: 2 },
  ),
  body: fc.oneof(
    fc.constant(undefined),
    fc.constant("value"),
    fc.constantFrom("{", "[]", "null", '{"name":""}', '{"name":"\u0001"}', '{"key":"k","value":"!!"}', '{"value":"dg=="}\n{', "x".repeat(100)),
    fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  ),
});

describe("REST server: fuzzed requests across the three dialects", () => {
  beforeAll(async () => {
    kind = "memory";
    await resetWorld();
  });

  it("answers every generated request without a 5xx, and leaves every store unchanged whenever it refuses one with 4xx", async () => {
    let refused = 0;
    let accepted = 0;
    const made = await checkProperty(
      fc.asyncProperty(fuzzArb, async (r) => {
        const id = r.store === "real" ? dialectIds[r.dialect.id] : r.store;
        const base = `${r.dialect.prefix}/${id}`;
        const path =
          (r.shape === "store" ? base : r.shape === "items" ? `${base}/${r.dialect.items}` : r.shape === "item" ? `${base}/${r.dialect.items}/${r.key}` : r.shape === "batch" ? `${base}/batch` : `${base}/${r.key}/junk`) + r.query;
        const headers = { ...r.headers };
        if ("content-length" in headers) delete headers["content-length"]; // a wrong length would desynchronise the connection, not test the server
        const label = `${r.method} ${path} ${JSON.stringify(headers)} body=${r.body === undefined ? "none" : JSON.stringify(String(r.body)).slice(0, 60)}`;
        const reply = await send(r.method, path, headers, r.body);
        expect(reply.status, label).toBeGreaterThanOrEqual(200);
        expect(reply.status, `${label} answered ${reply.status} ${reply.body}`).toBeLessThan(500);
        const after = await state();
        if (reply.status >= 400) {
          refused++;
          if (after !== before) {
            const expected = before;
            await resetWorld();
            expect(after, `state changed by ${label}, answered ${reply.status}`).toBe(expected);
          }
        } else if (after !== before) {
          accepted++;
          await resetWorld(); // an accepted write (or a deleted store): start the next request from the seed again
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      runs(300),
    );
    count("server: fuzzed requests", made);
    count("server: fuzzed requests refused with 4xx", refused);
    count("server: fuzzed requests that wrote", accepted);
  }, 120_000);
});
