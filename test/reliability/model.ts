/**
 * A small reference model of one `fastly:kv-store` store, written from the spec
 * (/work/shared/reference/fastly-kv-store.md §3–§10, "production" profile) and deliberately sharing
 * no code with src/: its own UTF-8 order, its own base64, its own expiry rule. The model-based tests
 * run the same random command sequences against it and against a real store, and any disagreement
 * fails with the shrunk sequence.
 *
 * The model answers with an Outcome: the resolved value, or the error class and exact message the
 * runtime gives. Generations are not predictable numbers (Compute makes them opaque), so the model
 * only decides whether a generation precondition holds; the harness maps "the current generation"
 * and "an older generation" to the real numbers.
 */

/** `sync` marks an error thrown by the call itself rather than returned as a rejected promise. */
export type Outcome<T = unknown> = { ok: true; value: T } | { ok: false; error: string; message: string; sync?: boolean };

export interface ModelEntry {
  value: Uint8Array;
  /** null when absent; empty metadata is stored as absent (metadata() returns null for both). */
  metadata: Uint8Array | null;
  /** ms since the epoch, or null for no TTL. Live while expiresAt > now (§10.4: ttl 0 expires at once). */
  expiresAt: number | null;
  /** Clock time of the write that stored it (the admin API's lastModified). */
  modifiedAt: number;
  /** Bumped on every successful write to this key: the model's stand-in for the opaque generation. */
  version: number;
}

export interface ModelLimits {
  maxValueBytes: number;
  maxMetadataBytes: number;
}

/**
 * "production" is Compute (§6.3, §10.3: missing-key delete rejects, a generation check on a missing key
 * fails); "viceroy" is Fastly's local server where it differs (§3.4 stricter keys, §5.6 empty or
 * non-UTF-8 metadata refused, §6.3 missing-key delete resolves, §10.3 gen ignored on a missing key,
 * §10.5 empty prefix/cursor refused).
 */
export type ModelProfile = "production" | "viceroy";

/** §3.4: keys Viceroy's host call refuses on top of the runtime's rules. */
export function viceroyRefusesKey(key: string): boolean {
  if (key.includes("../") || key.includes("./") || key.endsWith("/..") || key.endsWith("/.")) return true;
  if (key.startsWith(".well-known/acme-challenge")) return true;
  const points = [...key];
  if (points.length === 1) {
    const code = points[0]!.codePointAt(0)!;
    if (code <= 0x20 || code === 0xfffe || code === 0xffff) return true;
  }
  return false;
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** §9.3: a host call refusing its arguments: a plain Error whose message ends in a newline. */
const invalidArgument = (fn: string): Outcome<never> => ({ ok: false, error: "Error", message: `${fn}: Invalid argument.\n` });

/** Which generation a conditional write or delete passes (the harness turns it into a number). */
export type GenChoice = "current" | "stale" | "never";

export type ModelMode = "overwrite" | "add" | "append" | "prepend";

export interface ModelPut {
  value: Uint8Array;
  /** Already converted to bytes; undefined = option absent. */
  metadata?: Uint8Array | undefined;
  /** Whole seconds after ToNumber and rounding; undefined = option absent. */
  ttlSeconds?: number | undefined;
  mode: ModelMode;
  gen?: GenChoice | undefined;
}

export interface ModelListPage {
  list: string[];
  cursor: string | undefined;
}

const encoder = new TextEncoder();

/** UTF-8 byte order (§10.5): compare the encodings byte by byte, shorter first on a tie. */
export function utf8Order(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Standard base64 with padding of the key's UTF-8 bytes (§10.5 cursor format). */
export function cursorFor(key: string): string {
  let binary = "";
  for (const byte of encoder.encode(key)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** The key a well-formed cursor continues after. */
export function keyOfCursor(cursor: string): string {
  const binary = atob(cursor);
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
}

const fail = (error: string, message: string): Outcome<never> => ({ ok: false, error, message });
const done = <T>(value: T): Outcome<T> => ({ ok: true, value });

export class KVModel {
  now: number;
  readonly limits: ModelLimits;
  readonly entries = new Map<string, ModelEntry>();
  #versions = 0;

  readonly profile: ModelProfile;

  constructor(now: number, limits: ModelLimits, profile: ModelProfile = "production") {
    this.now = now;
    this.limits = limits;
    this.profile = profile;
  }

  live(key: string): ModelEntry | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt !== null && entry.expiresAt <= this.now) {
      this.entries.delete(key); // expired entries are as good as gone (§10.4)
      return null;
    }
    return entry;
  }

  advance(ms: number): void {
    this.now += ms;
  }

  /** §5 + §10.1–10.3 (production: a generation check on a missing key fails). */
  put(key: string, input: ModelPut): Outcome<undefined> {
    if (this.profile === "viceroy") {
      const badMetadata = input.metadata !== undefined && (input.metadata.byteLength === 0 || !isUtf8(input.metadata));
      if (viceroyRefusesKey(key) || badMetadata) return invalidArgument("put");
    }
    if (input.metadata !== undefined && input.metadata.byteLength > this.limits.maxMetadataBytes) {
      return fail("TypeError", "KVStore insert: Payload too large."); // the runtime reports the store's refusal
    }
    const current = this.live(key);
    if (input.mode === "add" && current !== null) return fail("TypeError", "KVStore insert: Precondition failed.");
    // A generation check on a missing key: production has nothing to match; Viceroy lets the write through.
    const genFails = current === null ? this.profile === "production" : input.gen !== "current";
    if (input.gen !== undefined && genFails) {
      return fail("TypeError", "KVStore insert: Precondition failed.");
    }
    let value = input.value;
    if (current !== null && input.mode === "append") value = concat(current.value, input.value);
    if (current !== null && input.mode === "prepend") value = concat(input.value, current.value);
    if (value.byteLength > this.limits.maxValueBytes) return fail("TypeError", "KVStore insert: Payload too large.");
    this.entries.set(key, {
      value,
      // §10.2: every write replaces metadata and expiry, or clears them when not given.
      metadata: input.metadata === undefined || input.metadata.byteLength === 0 ? null : input.metadata,
      expiresAt: input.ttlSeconds === undefined ? null : this.now + input.ttlSeconds * 1000,
      modifiedAt: this.now,
      version: ++this.#versions,
    });
    return done(undefined);
  }

  get(key: string): Outcome<{ value: Uint8Array; metadata: Uint8Array | null } | null> {
    if (this.profile === "viceroy" && viceroyRefusesKey(key)) return invalidArgument("get");
    const entry = this.live(key);
    return done(entry === null ? null : { value: entry.value, metadata: entry.metadata });
  }

  /** §6.3 production: deleting a missing (or expired) key rejects `KVStore delete: Not found.` */
  delete(key: string): Outcome<undefined> {
    if (this.profile === "viceroy") {
      if (viceroyRefusesKey(key)) return invalidArgument("delete_");
      this.entries.delete(key);
      return done(undefined);
    }
    if (this.live(key) === null) return fail("TypeError", "KVStore delete: Not found.");
    this.entries.delete(key);
    return done(undefined);
  }

  /**
   * The admin API's delete: `ifGenerationMatch` on a missing key or a different generation fails
   * with KVError "Precondition failed."; a missing key fails "Not found." unless `force`.
   */
  adminDelete(key: string, gen: GenChoice | undefined, force: boolean): Outcome<boolean> {
    const entry = this.live(key);
    const genFails = entry === null ? this.profile === "production" : gen !== "current";
    if (gen !== undefined && genFails) return fail("KVError", "Precondition failed.");
    if (entry === null) return force ? done(false) : fail("KVError", "Not found.");
    this.entries.delete(key);
    return done(true);
  }

  /** §7 + §10.5: live keys in UTF-8 order, with prefix, strictly after the cursor key, at most `limit`. */
  list(options: { prefix?: string | undefined; limit: number; cursor?: string | undefined; emptyPrefixOrCursor?: boolean }): Outcome<ModelListPage> {
    if (this.profile === "viceroy" && options.emptyPrefixOrCursor) return { ok: false, error: "Error", message: "list: Invalid argument.\n", sync: true };
    const after = options.cursor === undefined ? undefined : keyOfCursor(options.cursor);
    const keys = this.liveKeys().filter(
      (key) => (options.prefix === undefined || key.startsWith(options.prefix)) && (after === undefined || utf8Order(key, after) > 0),
    );
    const page = keys.slice(0, options.limit);
    const truncated = keys.length > page.length;
    return done({ list: page, cursor: truncated && page.length > 0 ? cursorFor(page[page.length - 1]!) : undefined });
  }

  liveKeys(): string[] {
    for (const key of [...this.entries.keys()]) this.live(key);
    return [...this.entries.keys()].sort(utf8Order);
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
