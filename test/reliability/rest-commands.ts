/**
 * Model-based commands over the REST surface (Fastly dialect), mixed into the same sequences as the
 * `KVStore` commands: what REST writes, KVStore must read, and the other way round. Each command
 * maps the model's outcome to the REST answer — 200/204, 404 not found, 412 precondition failed
 * (empty body), 413 payload too large, 400 metadata over the store's limit — and then compares the
 * whole stored state like every other command.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { createServer, type RestServer } from "edge-kv/server";
import { expectSameState, keyArb, noteWrite, rawGeneration, resolveGen } from "./commands.js";
import type { GenChoice, KVModel, ModelMode, Outcome } from "./model.js";
import { count } from "./settings.js";
import { hex, type Subject } from "./support.js";

type Cmd = fc.AsyncCommand<KVModel, Subject, false>;
const encoder = new TextEncoder();
const wellFormed = (text: string) => new TextDecoder("utf-8", { ignoreBOM: true }).decode(encoder.encode(text));
const show = (value: unknown) => JSON.stringify(value);

export interface RestSide {
  server: RestServer;
  /** The store's Fastly id. */
  id: string;
}
const sides = new WeakMap<Subject, RestSide>();

/** Starts a REST server over the subject's registry; returns the function that stops it. */
export async function attachRest(real: Subject): Promise<() => Promise<void>> {
  const server = await createServer({ registry: real.registry });
  const stores = (await (await fetch(`${server.url}/resources/stores/kv?name=${encodeURIComponent(real.name)}`)).json()) as { data: { id: string }[] };
  sides.set(real, { server, id: stores.data[0]!.id });
  return () => server.close();
}

function itemUrl(real: Subject, key: string): string {
  const side = sides.get(real)!;
  return `${side.server.url}/resources/stores/kv/${side.id}/keys/${encodeURIComponent(wellFormed(key))}`;
}

/** The REST status for a model outcome of a write. */
function writeStatus(outcome: Outcome<unknown>, metadataTooLarge: boolean): number {
  if (outcome.ok) return 200;
  if (outcome.message === "KVStore insert: Precondition failed.") return 412;
  // KVStore reports metadata over the limit as the runtime does (Payload too large.); REST answers 400 for it.
  if (outcome.message === "KVStore insert: Payload too large.") return metadataTooLarge ? 400 : 413;
  throw new Error(`no REST status for ${outcome.message}`);
}

class RestPutCommand implements Cmd {
  constructor(
    readonly key: string,
    readonly value: number[],
    readonly options: { mode?: "add" | "append" | "prepend"; metadata?: string; ttl?: number; gen?: GenChoice },
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: REST put");
    const key = wellFormed(this.key);
    const o = this.options;
    const liveBefore = model.live(key) !== null;
    const expected = model.put(key, {
      value: new Uint8Array(this.value),
      metadata: o.metadata === undefined ? undefined : encoder.encode(o.metadata),
      ttlSeconds: o.ttl,
      mode: (o.mode ?? "overwrite") as ModelMode,
      gen: o.gen,
    });
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (o.metadata !== undefined) headers.metadata = o.metadata;
    if (o.ttl !== undefined) headers.time_to_live_sec = String(o.ttl);
    if (o.gen !== undefined) headers["if-generation-match"] = String(await resolveGen(real, key, o.gen));
    const response = await fetch(`${itemUrl(real, this.key)}${o.mode ? `?${o.mode}=true` : ""}`, { method: "PUT", headers, body: new Uint8Array(this.value) });
    const body = await response.text();
    const metadataTooLarge = o.metadata !== undefined && encoder.encode(o.metadata).byteLength > model.limits.maxMetadataBytes;
    expect(response.status, body).toBe(writeStatus(expected, metadataTooLarge));
    if (response.status === 412) expect(body).toBe("");
    if (expected.ok) await noteWrite(real, key, liveBefore);
    await expectSameState(model, real);
  }
  toString = () => `REST PUT ${show(this.key)} ${show(this.value)} ${show(this.options)}`;
}

class RestGetCommand implements Cmd {
  constructor(readonly key: string) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: REST get");
    const key = wellFormed(this.key);
    const expected = model.get(key);
    const response = await fetch(itemUrl(real, this.key));
    const value = new Uint8Array(await response.arrayBuffer());
    if (!expected.ok || expected.value === null) {
      expect(response.status).toBe(404);
    } else {
      expect(response.status).toBe(200);
      expect(hex(value)).toBe(hex(expected.value.value));
      // Metadata comes back verbatim, or base64 (flagged) when a header could not carry it.
      const header = response.headers.get("metadata");
      const metadata = response.headers.get("metadata-encoding") === "base64" ? Buffer.from(header!, "base64") : Buffer.from(header ?? "", "latin1");
      expect(metadata.byteLength === 0 ? null : hex(new Uint8Array(metadata))).toBe(hex(expected.value.metadata));
      expect(response.headers.get("generation")).toBe(String(await rawGeneration(real, key)));
    }
    await expectSameState(model, real);
  }
  toString = () => `REST GET ${show(this.key)}`;
}

class RestDeleteCommand implements Cmd {
  constructor(
    readonly key: string,
    readonly gen: GenChoice | undefined,
    readonly force: boolean,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: REST delete");
    const key = wellFormed(this.key);
    const expected = model.adminDelete(key, this.gen, this.force);
    const headers: Record<string, string> = {};
    if (this.gen !== undefined) headers["if-generation-match"] = String(await resolveGen(real, key, this.gen));
    const response = await fetch(`${itemUrl(real, this.key)}${this.force ? "?force=true" : ""}`, { method: "DELETE", headers });
    await response.arrayBuffer();
    const status = expected.ok ? 204 : expected.message === "Not found." ? 404 : 412;
    expect(response.status).toBe(status);
    await expectSameState(model, real);
  }
  toString = () => `REST DELETE ${show(this.key)} ${show({ gen: this.gen, force: this.force })}`;
}

/** Every page of a REST key listing, following meta.next_cursor, against the model's pages. */
class RestListCommand implements Cmd {
  constructor(
    readonly prefix: string | undefined,
    readonly limit: number | undefined,
  ) {}
  check = () => true;
  async run(model: KVModel, real: Subject): Promise<void> {
    count("model: REST list walk");
    const side = sides.get(real)!;
    const prefix = this.prefix === undefined || this.prefix === "" ? undefined : wellFormed(this.prefix);
    let cursor: string | undefined;
    for (let page = 0; page < model.entries.size + 2; page++) {
      const expected = model.list({ prefix, limit: this.limit ?? 1000, cursor });
      const query = new URLSearchParams();
      if (this.limit !== undefined) query.set("limit", String(this.limit));
      if (this.prefix !== undefined) query.set("prefix", wellFormed(this.prefix));
      if (cursor !== undefined) query.set("cursor", cursor);
      const response = await fetch(`${side.server.url}/resources/stores/kv/${side.id}/keys?${query}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as { data: string[]; meta: { next_cursor?: string; limit: number } };
      expect(expected.ok).toBe(true);
      if (!expected.ok) return;
      expect(body.data).toEqual(expected.value.list);
      expect(body.meta.next_cursor).toBe(expected.value.cursor);
      expect(body.meta.limit).toBe(this.limit ?? 1000);
      if (body.meta.next_cursor === undefined) break;
      cursor = body.meta.next_cursor;
    }
    await expectSameState(model, real);
  }
  toString = () => `REST list ${show({ prefix: this.prefix, limit: this.limit })}`;
}

const ASCII_METADATA = fc.constantFrom("", "m", "meta", "v2", "12345678", "123456789", "a b");

export function restCommandArbs(): fc.Arbitrary<Cmd>[] {
  const put = fc
    .tuple(
      keyArb,
      fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 6 }),
      fc.record(
        {
          mode: fc.constantFrom("add" as const, "append" as const, "prepend" as const),
          metadata: ASCII_METADATA,
          ttl: fc.constantFrom(0, 1, 2, 3600),
          gen: fc.constantFrom<GenChoice>("current", "current", "stale", "never"),
        },
        { requiredKeys: [] },
      ),
    )
    .map(([key, value, options]) => new RestPutCommand(key, value, options));
  return [
    put,
    put,
    keyArb.map((key) => new RestGetCommand(key)),
    fc
      .tuple(keyArb, fc.option(fc.constantFrom<GenChoice>("current", "stale", "never"), { nil: undefined }), fc.boolean())
      .map(([key, gen, force]) => new RestDeleteCommand(key, gen, force)),
    fc.tuple(fc.constantFrom(undefined, "", "a", "é", "\u{1F600}", "\uD83D"), fc.constantFrom(undefined, 1, 2, 3)).map(([prefix, limit]) => new RestListCommand(prefix, limit)),
  ];
}
