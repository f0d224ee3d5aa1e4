/**
 * The semantics of a KV store, written once for every driver and every surface: insert modes,
 * generations, TTL expiry, list order/cursor/limit and size limits. Surfaces (KVStore, the admin
 * API, the REST server) validate and convert input, call this, and translate its KVErrors.
 *
 * Every write is a compare-and-set on what was read: the core reads the current record, computes the
 * next one, and asks the driver to store it only if the record is still the one it read (retrying
 * otherwise). That gives add / if-generation-match / append / prepend their atomicity on every driver
 * — across tabs and processes too — while drivers only implement "write if generation matches".
 */
import type { Clock } from "./clock.js";
import { chain, isPromise, type KVDriver, type MaybePromise, type ScanItem, type StoredRecord } from "./drivers/driver.js";
import { KVError } from "./errors.js";
import { KVLimits } from "./limits.js";
import { concatBytes } from "./bytes.js";

/** `production` mirrors Compute; `viceroy` mirrors Fastly's local server where it differs (see docs/behaviour.md). */
export type Profile = "production" | "viceroy";
export type InsertMode = "overwrite" | "add" | "append" | "prepend";
export const INSERT_MODES: readonly InsertMode[] = ["overwrite", "add", "append", "prepend"];

export interface WriteInput {
  value: Uint8Array;
  metadata: Uint8Array | null;
  /** Seconds until expiry; undefined for none. 0 expires at once. */
  ttlSeconds?: number | undefined;
  mode?: InsertMode | undefined;
  /** Write only if the live record has this generation. */
  ifGenerationMatch?: number | undefined;
  contentType?: string | null | undefined;
}

export interface ListPage {
  items: ScanItem[];
  /** More live keys exist after the last item. */
  more: boolean;
}

export interface StoreSettings {
  clock: Clock;
  profile: Profile;
  /** Largest metadata accepted, in bytes. */
  maxMetadataBytes: number;
  /** Largest value a write may produce (appends included), in bytes. */
  maxValueBytes: number;
}

/** A limit was exceeded; its message names the limit (surfaces pass it through verbatim). */
export class LimitExceededError extends KVError {
  readonly limit: number;
  constructor(message: string, limit: number) {
    super("payload-too-large", message);
    this.name = "LimitExceededError";
    this.limit = limit;
  }
}

/** Hook run before each operation; fault injection and latency plug in here. */
export type OperationHook = (operation: Operation, key: string | undefined) => MaybePromise<void>;
export type Operation = "lookup" | "insert" | "delete" | "list";
/**
 * What an eventually consistent reader sees for `key` given the live record: installed by the
 * consistency simulation of `edge-kv/testing`. Used by `lookup` (KVStore.get) only, never by writes.
 */
export type ReadView = (key: string, live: StoredRecord | null) => MaybePromise<StoredRecord | null>;

/** One store operation, as the operation observer sees it (PLAN I2). Emitted after the operation settles. */
export interface OperationEvent {
  store: string;
  operation: Operation;
  /** lookup / insert / delete */
  key?: string;
  /** list */
  prefix?: string;
  /** Wall clock (Date.now()) when the operation started, not the store's (possibly fake) clock. */
  startedAt: number;
  durationMs: number;
  outcome: "ok" | "not-found" | "precondition-failed" | "error";
  error?: { name: string; message: string };
  /** insert */
  mode?: InsertMode;
  /** The generation written or read. */
  generation?: number;
  /** Value bytes written or read. */
  size?: number;
  /** From the active context provider (the app host sets { requestId }). */
  context?: Record<string, unknown>;
}
export type OperationListener = (event: OperationEvent) => void;
export type OperationContextProvider = () => Record<string, unknown> | undefined;

let contextProvider: OperationContextProvider | null = null;

/** Installs the function whose result each operation event carries as `context`; returns the previous one. */
export function setOperationContextProvider(provider: OperationContextProvider | null): OperationContextProvider | null {
  const previous = contextProvider;
  contextProvider = provider;
  return previous;
}

type Outcome = Pick<OperationEvent, "outcome" | "generation" | "size">;

function failureOf(error: unknown): Pick<OperationEvent, "outcome" | "error"> {
  const precondition = error instanceof KVError && error.code === "precondition-failed";
  const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
  return { outcome: precondition ? "precondition-failed" : "error", error: { name, message } };
}

const MAX_CAS_ATTEMPTS = 1000;
/** Width of the random offset given to the generation of a key that has no record (about one second in µs). */
const FRESH_GENERATION_SPREAD = 2 ** 20;

export class StoreCore {
  /** The store's name in its registry (changes on renameStore). */
  name: string;
  readonly driver: KVDriver;
  settings: StoreSettings;
  /** Installed by test helpers (fault injection, latency); null in normal use. */
  hook: OperationHook | null = null;
  /** Installed by the eventual-consistency simulation; null (strong reads) in normal use. */
  readView: ReadView | null = null;
  /** Installed with readView: whether an eventual list (`noSync: true`) shows a live key. Never used by strong lists. */
  listFilter: ((key: string) => boolean) | null = null;
  /** Set by the registry while someone listens to operations (registry.onOperation); null costs nothing. */
  observer: OperationListener | null = null;
  #lastGeneration = 0;

  constructor(name: string, driver: KVDriver, settings: StoreSettings) {
    this.name = name;
    this.driver = driver;
    this.settings = settings;
  }

  isLive(record: { expiresAt: number | null }, now = this.settings.clock.now()): boolean {
    return record.expiresAt === null || record.expiresAt > now;
  }

  /** The live record under `key`, or null. An expired record found here is removed. */
  get(key: string): MaybePromise<StoredRecord | null> {
    if (this.observer !== null) return this.#observed("lookup", { key }, () => this.#get(key), recordOutcome);
    return this.#get(key);
  }

  #get(key: string): MaybePromise<StoredRecord | null> {
    if (this.hook === null) {
      const record = this.driver.read(key);
      return isPromise(record) ? record.then((ready) => this.#liveOrNull(key, ready)) : this.#liveOrNull(key, record);
    }
    return this.#hooked("lookup", key, () => chain(this.driver.read(key), (record) => this.#liveOrNull(key, record)));
  }

  #liveOrNull(key: string, record: StoredRecord | null): StoredRecord | null {
    if (record === null) return null;
    if (this.isLive(record)) return record;
    this.#removeIfExpired(key, record);
    return null;
  }

  /** `get` as an application read (KVStore.get) sees it: through `readView` when one is installed. */
  lookup(key: string): MaybePromise<StoredRecord | null> {
    const view = this.readView;
    if (view === null) return this.get(key);
    return chain(this.get(key), (record) => view(key, record));
  }

  /** Applies a write with its mode and preconditions; returns the stored record. Throws KVError. */
  write(key: string, input: WriteInput): MaybePromise<StoredRecord> {
    if (this.observer !== null) return this.#observed("insert", { key, mode: input.mode ?? "overwrite" }, () => this.#write(key, input), recordOutcome);
    return this.#write(key, input);
  }

  #write(key: string, input: WriteInput): MaybePromise<StoredRecord> {
    const { maxMetadataBytes } = this.settings;
    if (input.metadata !== null && input.metadata.byteLength > maxMetadataBytes) {
      throw new LimitExceededError(`KVStore.put: metadata can not be more than ${maxMetadataBytes} bytes`, maxMetadataBytes);
    }
    if (this.hook === null) return this.#attemptWrite(key, input, 1);
    return this.#hooked("insert", key, () => this.#attemptWrite(key, input, 1));
  }

  /** One compare-and-set round of `write`; synchronous drivers stay synchronous (no closures). */
  #attemptWrite(key: string, input: WriteInput, tries: number): MaybePromise<StoredRecord> {
    const current = this.driver.read(key);
    if (isPromise(current)) return current.then((ready) => this.#writeNext(key, input, ready, tries));
    return this.#writeNext(key, input, current, tries);
  }

  #writeNext(key: string, input: WriteInput, current: StoredRecord | null, tries: number): MaybePromise<StoredRecord> {
    const record = this.#nextRecord(current, input);
    const written = this.driver.write(key, record, current === null ? null : current.generation);
    if (isPromise(written)) return written.then((ok) => this.#afterWrite(key, input, record, ok, tries));
    return this.#afterWrite(key, input, record, written, tries);
  }

  #afterWrite(key: string, input: WriteInput, record: StoredRecord, written: boolean, tries: number): MaybePromise<StoredRecord> {
    if (written) return record;
    if (tries >= MAX_CAS_ATTEMPTS) throw new KVError("internal-error", `Internal error. (key '${key}' kept changing during ${MAX_CAS_ATTEMPTS} attempts)`);
    return this.#attemptWrite(key, input, tries + 1);
  }

  /**
   * Deletes the live record under `key`. Resolves false when there is none. With
   * `ifGenerationMatch`, throws KVError precondition-failed when the live generation differs.
   */
  delete(key: string, options: { ifGenerationMatch?: number | undefined } = {}): MaybePromise<boolean> {
    if (this.observer !== null) return this.#observed("delete", { key }, () => this.#delete(key, options), (deleted) => ({ outcome: deleted ? "ok" : "not-found" }));
    return this.#delete(key, options);
  }

  #delete(key: string, options: { ifGenerationMatch?: number | undefined }): MaybePromise<boolean> {
    const attempt = (tries: number): MaybePromise<boolean> =>
      chain(this.driver.read(key), (current) => {
        const live = current !== null && this.isLive(current);
        if (options.ifGenerationMatch !== undefined && (!live || current!.generation !== options.ifGenerationMatch)) {
          if (live || this.settings.profile === "production") throw new KVError("precondition-failed");
        }
        if (current === null) return false;
        return chain(this.driver.delete(key, current.generation), (deleted) => {
          if (deleted) return live;
          if (tries >= MAX_CAS_ATTEMPTS) throw new KVError("internal-error");
          return attempt(tries + 1);
        });
      });
    return this.#hooked("delete", key, () => attempt(1));
  }

  /** Live keys in UTF-8 byte order: those starting with `prefix`, strictly after `after`, at most `limit`. */
  list(range: { prefix?: string | undefined; after?: string | undefined; limit: number; eventual?: boolean }): MaybePromise<ListPage> {
    if (this.observer !== null) return this.#observed("list", range.prefix === undefined ? {} : { prefix: range.prefix }, () => this.#list(range), () => ({ outcome: "ok" }));
    return this.#list(range);
  }

  #list(range: { prefix?: string | undefined; after?: string | undefined; limit: number; eventual?: boolean }): MaybePromise<ListPage> {
    const wanted = range.limit + 1; // one extra live key tells whether another page exists
    const live: ScanItem[] = [];
    const now = this.settings.clock.now();
    const visible = range.eventual ? this.listFilter : null;
    const step = (after: string | undefined): MaybePromise<ListPage> => {
      const asked = Math.min(wanted - live.length, 1 << 30);
      return chain(this.driver.scan({ prefix: range.prefix, after, limit: asked }), (batch) => {
        for (const item of batch) {
          if (this.isLive(item, now)) {
            if (visible !== null && !visible(item.key)) continue;
            if (live.push(item) === wanted) break;
          } else this.#purge(item.key);
        }
        if (live.length >= wanted || batch.length < asked) {
          const more = live.length > range.limit;
          if (more) live.length = range.limit;
          return { items: live, more };
        }
        return step(batch[batch.length - 1]!.key);
      });
    };
    return this.#hooked("list", undefined, () => step(range.after));
  }

  /** Every live item, in order (admin use: stats, dumps). */
  async scanAll(visit: (item: ScanItem) => void | Promise<void>, prefix?: string): Promise<void> {
    let after: string | undefined;
    for (;;) {
      const batch = await this.driver.scan({ prefix, after, limit: 1000 });
      const now = this.settings.clock.now();
      for (const item of batch) if (this.isLive(item, now)) await visit(item);
      if (batch.length < 1000) return;
      after = batch[batch.length - 1]!.key;
    }
  }

  /** Removes every expired record now; returns how many were removed. */
  async sweepExpired(): Promise<number> {
    let removed = 0;
    let after: string | undefined;
    for (;;) {
      const batch = await this.driver.scan({ after, limit: 1000 });
      const now = this.settings.clock.now();
      for (const item of batch) {
        if (this.isLive(item, now)) continue;
        const record = await this.driver.read(item.key);
        if (record !== null && !this.isLive(record, now) && (await this.driver.delete(item.key, record.generation))) removed++;
      }
      if (batch.length < 1000) return removed;
      after = batch[batch.length - 1]!.key;
    }
  }

  #nextRecord(current: StoredRecord | null, input: WriteInput): StoredRecord {
    const now = this.settings.clock.now();
    const live = current !== null && this.isLive(current, now) ? current : null;
    const mode = input.mode ?? "overwrite";
    if (mode === "add" && live !== null) throw new KVError("precondition-failed");
    if (input.ifGenerationMatch !== undefined) {
      // Viceroy lets a conditional write to a missing key through; production has no record to match.
      if (live !== null ? live.generation !== input.ifGenerationMatch : this.settings.profile === "production") {
        throw new KVError("precondition-failed");
      }
    }
    let value = input.value;
    if (live !== null && (mode === "append" || mode === "prepend")) {
      value = mode === "append" ? concatBytes([live.value, value]) : concatBytes([value, live.value]);
    }
    if (value.byteLength > this.settings.maxValueBytes) throw new KVError("payload-too-large");
    // Strictly above the key's previous generation and anything this core issued. A key without a
    // record (new, or deleted earlier) gets a random offset on top of the time, so a generation that
    // an earlier incarnation of the key had — in another process, or before a reopen, within the same
    // clock tick — is not handed out again (it would let a stale if-generation-match succeed).
    const floor = Math.max(this.#lastGeneration + 1, Math.floor(now * 1000));
    const generation = current === null ? floor + Math.floor(Math.random() * FRESH_GENERATION_SPREAD) : Math.max(floor, current.generation + 1);
    this.#lastGeneration = generation;
    return {
      value,
      metadata: input.metadata,
      generation,
      expiresAt: input.ttlSeconds === undefined ? null : now + input.ttlSeconds * 1000,
      lastModified: now,
      contentType: input.contentType ?? null,
    };
  }

  /** Runs one operation and tells the observer how it went (listener errors are ignored). */
  #observed<T>(operation: Operation, fields: Pick<OperationEvent, "key" | "prefix" | "mode">, run: () => MaybePromise<T>, outcome: (result: T) => Outcome): MaybePromise<T> {
    const observer = this.observer!;
    const startedAt = Date.now();
    const started = performance.now();
    const context = contextProvider?.();
    const emit = (result: Pick<OperationEvent, "outcome" | "error" | "generation" | "size">) => {
      const event: OperationEvent = { store: this.name, operation, ...fields, startedAt, durationMs: performance.now() - started, ...result };
      if (context !== undefined) event.context = context;
      try {
        observer(event);
      } catch {
        // an observer must not change what the operation does
      }
    };
    let result: MaybePromise<T>;
    try {
      result = run();
    } catch (error) {
      emit(failureOf(error));
      throw error;
    }
    if (!isPromise(result)) {
      emit(outcome(result));
      return result;
    }
    return result.then(
      (value) => (emit(outcome(value)), value),
      (error: unknown) => {
        emit(failureOf(error));
        throw error;
      },
    );
  }

  #hooked<T>(operation: Operation, key: string | undefined, run: () => MaybePromise<T>): MaybePromise<T> {
    if (this.hook === null) return run();
    return chain(this.hook(operation, key), run);
  }

  #removeIfExpired(key: string, record: StoredRecord): void {
    settle(this.driver.delete(key, record.generation));
  }

  #purge(key: string): void {
    settle(
      chain(this.driver.read(key), (record) =>
        record !== null && !this.isLive(record) ? this.driver.delete(key, record.generation) : false,
      ),
    );
  }
}

function recordOutcome(record: StoredRecord | null): Outcome {
  return record === null ? { outcome: "not-found" } : { outcome: "ok", generation: record.generation, size: record.value.byteLength };
}

/** Lazy clean-up is best effort: a failure here must not surface as an unhandled rejection. */
function settle(result: MaybePromise<unknown>): void {
  if (isPromise(result)) result.catch(() => undefined);
}


export const DEFAULT_SETTINGS: Omit<StoreSettings, "clock"> = {
  profile: "production",
  maxMetadataBytes: KVLimits.DEFAULT_METADATA_BYTES,
  maxValueBytes: KVLimits.MAX_VALUE_BYTES,
};
