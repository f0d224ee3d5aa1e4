/**
 * The evaluation of write and delete plans, shared by every in-process driver (memory, IndexedDB,
 * filesystem), which call these inside their atomic section. Pure: the same current record and plan
 * always give the same answer, and nothing here stores anything. A network driver implements the
 * same rules server-side; the contract suite holds both to them.
 */
import type { DeletePlan, DeleteResult, StoredRecord, WritePlan, WriteResult } from "./driver.js";
import { concatBytes } from "../bytes.js";

/** What a decision needs of the current record. `value` is read only to append or prepend to a live record. */
export interface CurrentRecord {
  readonly generation: number;
  readonly expiresAt: number | null;
  readonly value: Uint8Array;
}

export const PRECONDITION_FAILED: { status: "precondition-failed" } = Object.freeze({ status: "precondition-failed" });
export const TOO_LARGE: { status: "too-large" } = Object.freeze({ status: "too-large" });
export const ABSENT: { status: "absent" } = Object.freeze({ status: "absent" });
const DELETED_LIVE: DeleteResult = Object.freeze({ status: "deleted", wasLive: true });
const DELETED_EXPIRED: DeleteResult = Object.freeze({ status: "deleted", wasLive: false });

/** Whether a record with this expiry is live at `now`. */
export function isLiveAt(expiresAt: number | null, now: number): boolean {
  return expiresAt === null || expiresAt > now;
}

/**
 * The outcome of `plan` on a key whose current record (live or expired) is `current`: the record to
 * store, or why nothing is written. Checks the requirement first, then the combined size.
 */
export function decideWrite(current: CurrentRecord | null, plan: WritePlan): WriteResult {
  const live = current !== null && isLiveAt(current.expiresAt, plan.now);
  const require = plan.require;
  if (require !== "any") {
    if (require === "absent") {
      if (live) return PRECONDITION_FAILED;
    } else if (live ? current!.generation !== require.generation : !require.orAbsent) {
      return PRECONDITION_FAILED;
    }
  }
  let value = plan.value;
  if (live && plan.combine !== "replace") {
    value = plan.combine === "append" ? concatBytes([current!.value, value]) : concatBytes([value, current!.value]);
  }
  if (value.length > plan.maxValueBytes) return TOO_LARGE;
  const generation = current === null ? plan.freshGeneration : Math.max(plan.generationFloor, current.generation + 1);
  const record: StoredRecord = {
    value,
    metadata: plan.metadata,
    generation,
    expiresAt: plan.expiresAt,
    lastModified: plan.lastModified,
    contentType: plan.contentType,
  };
  return { status: "written", record };
}

/** The outcome of `plan` on a key whose current record (live or expired) is `current`. */
export function decideDelete(current: { readonly expiresAt: number | null; readonly generation: number } | null, plan: DeletePlan): DeleteResult {
  const live = current !== null && isLiveAt(current.expiresAt, plan.now);
  const require = plan.require;
  if (require === "expired") {
    if (current === null) return ABSENT;
    return live ? PRECONDITION_FAILED : DELETED_EXPIRED;
  }
  if (require !== "any") {
    if (live ? current!.generation !== require.generation : !require.orAbsent) return PRECONDITION_FAILED;
  }
  if (current === null) return ABSENT;
  return live ? DELETED_LIVE : DELETED_EXPIRED;
}
