/**
 * Helpers for tests that put records into a driver directly (driver contract v2): build write and
 * delete plans, and store a given record with a simple condition. Synchronous drivers stay synchronous.
 */
import type { DeletePlan, KVDriver, MaybePromise, StoredRecord, WritePlan } from "edge-kv";

const isPromise = <T>(value: MaybePromise<T>): value is Promise<T> => typeof (value as { then?: unknown } | null)?.then === "function";
const then = <T, U>(value: MaybePromise<T>, next: (ready: T) => U): MaybePromise<U> => (isPromise(value) ? value.then(next) : next(value));

/** Time used by `writeRecord`/`deleteRecord`: every record these tests write (expiresAt > 0 or null) is live at it. */
export const LONG_AGO = 0;

/** A write plan storing `record` as given (its generation as floor and fresh generation), unconditional unless `fields` says otherwise. */
export function planFor(record: StoredRecord, fields: Partial<WritePlan> = {}): WritePlan {
  return {
    now: LONG_AGO,
    require: "any",
    combine: "replace",
    value: record.value,
    maxValueBytes: Number.MAX_SAFE_INTEGER,
    metadata: record.metadata,
    expiresAt: record.expiresAt,
    lastModified: record.lastModified,
    contentType: record.contentType,
    generationFloor: record.generation,
    freshGeneration: record.generation,
    ...fields,
  };
}

/**
 * Stores `record` under `key` if the current state matches `expected` — a generation the record
 * must have, null for "no record", undefined for unconditional — and tells whether it did. The
 * stored generation is record.generation, or the existing generation + 1 when that is larger.
 */
export function writeRecord(driver: KVDriver, key: string, record: StoredRecord, expected?: number | null): MaybePromise<boolean> {
  const require: WritePlan["require"] = expected === undefined ? "any" : expected === null ? "absent" : { generation: expected, orAbsent: false };
  return then(driver.write(key, planFor(record, { require })), (result) => result.status === "written");
}

/** Removes `key` if its record has generation `expected` (undefined: whatever it has); tells whether a record was removed. */
export function deleteRecord(driver: KVDriver, key: string, expected?: number): MaybePromise<boolean> {
  const plan: DeletePlan = { now: LONG_AGO, require: expected === undefined ? "any" : { generation: expected, orAbsent: false } };
  return then(driver.delete(key, plan), (result) => result.status === "deleted");
}
