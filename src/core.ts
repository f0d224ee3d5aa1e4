/**
 * The semantics of a KV store, written once for every driver and every surface: insert modes,
 * generations, TTL expiry, list order/cursor/limit and size limits. Surfaces (KVStore, the admin
 * API, the REST server) validate and convert input, call this, and translate its KVErrors.
 *
 * Every write and delete is one driver call carrying a plan (driver contract v2, src/drivers/driver.ts):
 * the core decides every rule it can alone (mode, generation floor, expiry, limits) and states the
 * rest — "the live record must have generation g", "append to the live value" — declaratively, so the
 * driver applies it atomically against its current record: add / if-generation-match / append /
 * prepend are atomic on every driver, across tabs, processes and machines, with one round trip.
 */
import type { Clock } from "./clock.js";
import {
  chain,
  isPromise,
  type DeletePlan,
  type DeleteResult,
  type KVDriver,
  type MaybePromise,
  type ScanItem,
  type StoredRecord,
  type WritePlan,
  type WriteResult,
} from "./drivers/driver.js";
import { KVError } from "./errors.js";
import { KVLimits } from "./limits.js";
import { describeDeleted, describeListed, describeRecord, describeWritten, observe, type OperationListener } from "./observer.js";

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
  /** Installed by the registry while anyone listens to its operations (`registry.onOperation`); null otherwise. */
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
    if (this.observer !== null) return observe(this.name, this.observer, { operation: "lookup", key }, () => this.#get(key), describeRecord);
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
    if (record === null || record.expiresAt === null) return record;
    const now = this.settings.clock.now();
    if (record.expiresAt > now) return record;
    this.#purge(key, now);
    return null;
  }

  /** `get` as an application read (KVStore.get) sees it: through `readView` when one is installed. */
  lookup(key: string): MaybePromise<StoredRecord | null> {
    const view = this.readView;
    if (this.observer !== null) {
      const run = view === null ? () => this.#get(key) : () => chain(this.#get(key), (record) => view(key, record));
      return observe(this.name, this.observer, { operation: "lookup", key }, run, describeRecord);
    }
    if (view === null) return this.#get(key);
    return chain(this.#get(key), (record) => view(key, record));
  }

  /** Applies a write with its mode and preconditions; returns the stored record. Throws KVError. */
  write(key: string, input: WriteInput): MaybePromise<StoredRecord> {
    const { maxMetadataBytes } = this.settings;
    if (input.metadata !== null && input.metadata.byteLength > maxMetadataBytes) {
      const error = new LimitExceededError(`KVStore.put: metadata can not be more than ${maxMetadataBytes} bytes`, maxMetadataBytes);
      if (this.observer === null) throw error;
      return observe(this.name, this.observer, { operation: "insert", key, mode: input.mode ?? "overwrite" }, () => { throw error; }, describeWritten);
    }
    if (this.observer !== null) {
      return observe(this.name, this.observer, { operation: "insert", key, mode: input.mode ?? "overwrite" }, () => this.#hookedWrite(key, input), describeWritten);
    }
    return this.#hookedWrite(key, input);
  }

  #hookedWrite(key: string, input: WriteInput): MaybePromise<StoredRecord> {
    if (this.hook === null) return this.#write(key, input);
    return this.#hooked("insert", key, () => this.#write(key, input));
  }

  /** One driver call; synchronous drivers stay synchronous (no closures). */
  #write(key: string, input: WriteInput): MaybePromise<StoredRecord> {
    const result = this.driver.write(key, this.#writePlan(input));
    return isPromise(result) ? result.then((ready) => this.#written(ready)) : this.#written(result);
  }

  #written(result: WriteResult): StoredRecord {
    if (result.status === "written") {
      const { generation } = result.record;
      if (generation > this.#lastGeneration) this.#lastGeneration = generation;
      return result.record;
    }
    throw new KVError(result.status === "too-large" ? "payload-too-large" : "precondition-failed");
  }

  /**
   * Deletes the live record under `key`. Resolves false when there is none. With
   * `ifGenerationMatch`, throws KVError precondition-failed when the live generation differs.
   */
  delete(key: string, options: { ifGenerationMatch?: number | undefined } = {}): MaybePromise<boolean> {
    const run = () => this.#hooked("delete", key, () => this.#delete(key, options.ifGenerationMatch));
    if (this.observer !== null) return observe(this.name, this.observer, { operation: "delete", key }, run, describeDeleted);
    return run();
  }

  #delete(key: string, ifGenerationMatch: number | undefined): MaybePromise<boolean> {
    const plan: DeletePlan = {
      now: this.settings.clock.now(),
      // Viceroy lets a conditional delete of a missing key through; production has no record to match.
      require: ifGenerationMatch === undefined ? "any" : { generation: ifGenerationMatch, orAbsent: this.settings.profile === "viceroy" },
    };
    return chain(this.driver.delete(key, plan), deleted);
  }

  /** Live keys in UTF-8 byte order: those starting with `prefix`, strictly after `after`, at most `limit`. */
  list(range: { prefix?: string | undefined; after?: string | undefined; limit: number; eventual?: boolean }): MaybePromise<ListPage> {
    const run = () => this.#hooked("list", undefined, () => this.#list(range));
    if (this.observer !== null) return observe(this.name, this.observer, { operation: "list", prefix: range.prefix ?? "" }, run, describeListed);
    return run();
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
          } else this.#purge(item.key, now);
        }
        if (live.length >= wanted || batch.length < asked) {
          const more = live.length > range.limit;
          if (more) live.length = range.limit;
          return { items: live, more };
        }
        return step(batch[batch.length - 1]!.key);
      });
    };
    return step(range.after);
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
        const result = await this.driver.delete(item.key, { now, require: "expired" });
        if (result.status === "deleted") removed++;
      }
      if (batch.length < 1000) return removed;
      after = batch[batch.length - 1]!.key;
    }
  }

  /**
   * The plan of a write: every rule decided here except what depends on the current record.
   * Generations are strictly above the key's previous one and anything this core issued; a key
   * without a record (new, or deleted earlier) gets a random offset on top of the time, so a
   * generation that an earlier incarnation of the key had — in another process, or before a reopen,
   * within the same clock tick — is not handed out again (it would let a stale if-generation-match succeed).
   */
  #writePlan(input: WriteInput): WritePlan {
    const now = this.settings.clock.now();
    const mode = input.mode ?? "overwrite";
    const viceroy = this.settings.profile === "viceroy";
    let require: WritePlan["require"] = mode === "add" ? "absent" : "any";
    if (input.ifGenerationMatch !== undefined) {
      // add + a generation: production fails whatever is there (a live record fails add, no record
      // fails the match); Viceroy lets a missing key through, which is exactly "absent".
      if (mode === "add") {
        if (!viceroy) throw new KVError("precondition-failed");
      } else require = { generation: input.ifGenerationMatch, orAbsent: viceroy };
    }
    const generationFloor = Math.max(this.#lastGeneration + 1, Math.floor(now * 1000));
    return {
      now,
      require,
      combine: mode === "append" ? "append" : mode === "prepend" ? "prepend" : "replace",
      value: input.value,
      maxValueBytes: this.settings.maxValueBytes,
      metadata: input.metadata,
      expiresAt: input.ttlSeconds === undefined ? null : now + input.ttlSeconds * 1000,
      lastModified: now,
      contentType: input.contentType ?? null,
      generationFloor,
      freshGeneration: generationFloor + Math.floor(Math.random() * FRESH_GENERATION_SPREAD),
    };
  }

  #hooked<T>(operation: Operation, key: string | undefined, run: () => MaybePromise<T>): MaybePromise<T> {
    if (this.hook === null) return run();
    return chain(this.hook(operation, key), run);
  }

  /** Lazy clean-up of a record found expired: removed only if it is still expired when the driver looks. */
  #purge(key: string, now: number): void {
    settle(this.driver.delete(key, { now, require: "expired" }));
  }
}

function deleted(result: DeleteResult): boolean {
  if (result.status === "precondition-failed") throw new KVError("precondition-failed");
  return result.status === "deleted" && result.wasLive;
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
