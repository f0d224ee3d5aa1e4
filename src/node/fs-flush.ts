/**
 * Group commit for durable writes. A writer appends its record under the lock, lets the next
 * operation in, and waits here for a flush (fdatasync) that started after its record was written:
 * every record appended while one flush runs shares the next one. So N concurrent writers pay about
 * two flushes, not N, and a resolved write is still on the disk. Across processes the same happens
 * one level down: a writer no longer holds the folder lock while it waits, so other processes append
 * meanwhile, and the file system commits their concurrent flushes of the same file together.
 *
 * When a flush fails, the records it was to cover (and those waiting for the next one) are handed to
 * `recover`, which undoes them in the log before their writers are told; a record a compaction has
 * meanwhile copied into a flushed segment is durable after all and its writer succeeds.
 */
import type { IndexEntry } from "./fs-index.js";
import type { LogFile } from "./fs-file.js";

/** A record appended and not yet known to be on the disk. */
export interface PendingRecord {
  file: LogFile;
  /** Sequence number of the segment it went to. */
  sequence: number;
  key: string;
  kind: "put" | "delete";
  offset: number;
  length: number;
  /** The key's entry before this record (null: no record). */
  previous: IndexEntry | null;
}

interface Waiter {
  record: PendingRecord;
  resolve(): void;
  reject(error: unknown): void;
}

/** What recovery did with each record: undone (its writer fails) or found durable (its writer succeeds). */
export type Recover = (records: PendingRecord[], error: unknown) => Promise<Set<PendingRecord>>;

export class GroupFlush {
  readonly #recover: Recover;
  /** Records waiting for the next flush. */
  #next: Waiter[] = [];
  /** Whether a flush (or the recovery after a failed one) is running. */
  #running = false;

  constructor(recover: Recover) {
    this.#recover = recover;
  }

  /** Resolves once `record` (just appended to `record.file`) is on the disk; rejects if it could not be and was undone. */
  durable(record: PendingRecord): Promise<void> {
    record.file.retain();
    const done = new Promise<void>((resolve, reject) => this.#next.push({ record, resolve, reject }));
    if (!this.#running) void this.#flush();
    return done;
  }

  async #flush(): Promise<void> {
    this.#running = true;
    while (this.#next.length > 0) {
      const batch = this.#next;
      this.#next = [];
      const files = [...new Set(batch.map((waiter) => waiter.record.file))];
      let failure: { error: unknown } | null = null;
      try {
        await Promise.all(files.map((file) => file.datasync()));
      } catch (error) {
        failure = { error };
      }
      if (failure === null) {
        for (const waiter of batch) settle(waiter, null);
        continue;
      }
      // Whatever waits for the next flush was written after the failed records and may build on them: undo it too.
      const failed = [...batch, ...this.#next.splice(0)];
      let undone: Set<PendingRecord>;
      let error = failure.error;
      try {
        undone = await this.#recover(
          failed.map((waiter) => waiter.record),
          failure.error,
        );
      } catch (recoveryError) {
        undone = new Set(failed.map((waiter) => waiter.record));
        error = recoveryError;
      }
      for (const waiter of failed) settle(waiter, undone.has(waiter.record) ? error : null);
    }
    this.#running = false;
  }
}

function settle(waiter: Waiter, error: unknown): void {
  waiter.record.file.release();
  if (error === null) waiter.resolve();
  else waiter.reject(error);
}
