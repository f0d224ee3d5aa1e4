/**
 * The driver contract (v2): the only things a storage backend does. Every semantic rule (insert
 * modes, generations, TTL, list order and cursors, limits) lives in the core; what the core cannot
 * decide without the current record travels as a small declarative plan (WritePlan, DeletePlan) that
 * the driver evaluates atomically against its current record, in one call — one round trip for a
 * driver across a network. In-process drivers evaluate plans with the shared pure functions of
 * `plan.ts` (`decideWrite`, `decideDelete`) inside their atomic section; a network driver evaluates
 * the same plan server-side. The shared contract suite (test/contract/driver-contract.ts) checks
 * every branch on every driver.
 *
 * Methods may return a value or a Promise of it: the memory driver answers synchronously, which
 * keeps the in-process path fast and applies operations in call order, as Compute does.
 *
 * Deviations from the team plan (PLAN.md I1), all small:
 *   - DeletePlan require "expired" on a key whose record is live answers "precondition-failed"
 *     (there is a record, and it does not meet the requirement); on a key with no record, "absent".
 *   - Optional capabilities `snapshot()` / `restore()` (see `SnapshotCapable`) for O(1) per-test reset.
 */
export type MaybePromise<T> = T | Promise<T>;

/** One stored entry. Drivers keep all fields verbatim, expired or not. */
export interface StoredRecord {
  value: Uint8Array;
  /** null when the entry has no metadata. */
  metadata: Uint8Array | null;
  /** Opaque per-key version, strictly increasing on every write; a positive safe integer. */
  generation: number;
  /** Expiry time in ms since the epoch, or null for no TTL. */
  expiresAt: number | null;
  /** Time of the write in ms since the epoch. */
  lastModified: number;
  /** Content-Type given by REST dialects that keep one (Apify); null otherwise. */
  contentType: string | null;
}

/** What an ordered scan returns per key: enough to filter expired keys and report sizes without reading values. */
export interface ScanItem {
  key: string;
  expiresAt: number | null;
  /** Value size in bytes. */
  size: number;
  lastModified: number;
}

export interface ScanRange {
  /** Only keys starting with this string (empty or absent: all keys). */
  prefix?: string;
  /** Only keys strictly after this one in UTF-8 byte order. */
  after?: string;
  /** At most this many items. */
  limit: number;
}

/** A generation the live record must have; `orAbsent` (viceroy profile) also lets a key with no live record through. */
export interface GenerationRequirement {
  generation: number;
  orAbsent: boolean;
}

/**
 * A write, as the core planned it. Liveness everywhere: a record is live when
 * `expiresAt === null || expiresAt > now`; an expired record counts as absent.
 */
export interface WritePlan {
  now: number;
  /**
   * "any": unconditional. "absent": no live record may exist (insert mode add).
   * { generation, orAbsent }: the live record must have this generation; orAbsent also lets a key
   * with no live record through.
   */
  require: "any" | "absent" | GenerationRequirement;
  /** How `value` combines with the live record's value (no live record: `value` alone). */
  combine: "replace" | "append" | "prepend";
  value: Uint8Array;
  /** The combined value may not exceed this many bytes ("too-large", nothing written). */
  maxValueBytes: number;
  metadata: Uint8Array | null;
  expiresAt: number | null;
  lastModified: number;
  contentType: string | null;
  /**
   * The new generation is at least max(generationFloor, existing.generation + 1) when any record
   * (live or expired) exists, else at least freshGeneration. A driver may issue a larger one (e.g. a
   * server-side counter) to guarantee "never backwards, never repeated" across machines; never a smaller one.
   */
  generationFloor: number;
  freshGeneration: number;
}

export type WriteResult =
  /** The record as stored (generation as issued). */
  | { status: "written"; record: StoredRecord }
  | { status: "precondition-failed" }
  | { status: "too-large" };

export interface DeletePlan {
  now: number;
  /**
   * "any": remove whatever is there (live or expired). "expired": remove only a record that is
   * expired at `now` (lazy purge, sweep). { generation, orAbsent }: as for writes, checked against
   * the live record; with orAbsent an expired record is removed too (wasLive false).
   */
  require: "any" | "expired" | GenerationRequirement;
}

export type DeleteResult =
  /** A record was removed; wasLive tells whether it was live at `now`. */
  | { status: "deleted"; wasLive: boolean }
  /** Nothing to remove. */
  | { status: "absent" }
  | { status: "precondition-failed" };

export interface KVDriver {
  /** A short name for messages, e.g. "memory" or "fs:/path/to/store". */
  readonly description: string;
  /** The record stored under `key` verbatim, expired or not, or null. */
  read(key: string): MaybePromise<StoredRecord | null>;
  /** Evaluates `plan` against the current record and stores the result, atomically. */
  write(key: string, plan: WritePlan): MaybePromise<WriteResult>;
  /** Evaluates `plan` against the current record and removes it, atomically. */
  delete(key: string, plan: DeletePlan): MaybePromise<DeleteResult>;
  /** Keys in UTF-8 byte order within `range`, expired or not. Must not read every key of the store to answer. */
  scan(range: ScanRange): MaybePromise<ScanItem[]>;
  /** Removes every record. */
  clear(): MaybePromise<void>;
  /** Releases resources (handles, connections). Optional. */
  close?(): MaybePromise<void>;
  /** Removes the store's data entirely (its folder, database...). Optional; defaults to clear(). */
  destroy?(): MaybePromise<void>;
  /**
   * Optional capability: captures the whole store now, cheaply (the memory driver shares its data
   * copy-on-write), returning a handle for `restore`. Drivers without it are reset generically.
   */
  snapshot?(): MaybePromise<DriverSnapshot>;
  /** Optional capability: puts the store back exactly as it was when `snapshot` returned `snapshot`. */
  restore?(snapshot: DriverSnapshot): MaybePromise<void>;
}

/** An opaque handle returned by `KVDriver.snapshot`; only the driver that made it can restore it. */
export interface DriverSnapshot {
  readonly driver: KVDriver;
}

export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/** Applies `next` now if `value` is ready, else when it resolves. Keeps synchronous drivers synchronous. */
export function chain<T, U>(value: MaybePromise<T>, next: (ready: T) => MaybePromise<U>): MaybePromise<U> {
  return isPromise(value) ? value.then(next) : next(value);
}
