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
 *
 * Across processes a flush is shared through the folder's notice board (src/node/fs-flush-board.ts):
 * records another process's successful flush covers need no flush of their own, and a flush in
 * progress that will cover them is waited for (briefly) instead of started alongside.
 */
import { WAIT_MS, type FlushBoard, type Segment } from "./fs-flush-board.js";
import type { IndexEntry } from "./fs-index.js";
import type { LogFile } from "./fs-file.js";
import { sleep } from "./fs-lock.js";

/** A record appended and not yet known to be on the disk. */
export interface PendingRecord {
  file: LogFile;
  /** Sequence number of the segment it went to. */
  sequence: number;
  /** The folder's notice board of flushes (null: share nothing). */
  board: FlushBoard | null;
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
    record.board?.retain();
    const done = new Promise<void>((resolve, reject) => this.#next.push({ record, resolve, reject }));
    if (!this.#running) void this.#flush();
    return done;
  }

  async #flush(): Promise<void> {
    this.#running = true;
    while (this.#next.length > 0) {
      const batch = this.#next;
      this.#next = [];
      let failure: { error: unknown } | null = null;
      try {
        await Promise.all(segments(batch).map(flushSegment));
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

/** What a batch needs flushed: for each segment file, the span of its records there. */
interface Span extends Segment {
  board: FlushBoard | null;
  start: number;
  end: number;
}

function segments(batch: Waiter[]): Span[] {
  const spans = new Map<LogFile, Span>();
  for (const { record } of batch) {
    const span = spans.get(record.file);
    const end = record.offset + record.length;
    if (span === undefined) spans.set(record.file, { file: record.file, sequence: record.sequence, board: record.board, start: record.offset, end });
    else {
      span.start = Math.min(span.start, record.offset);
      span.end = Math.max(span.end, end);
    }
  }
  return [...spans.values()];
}

/** Makes the span durable: by another process's flush if one covers it, else by our own (announced on the board). */
async function flushSegment(span: Span): Promise<void> {
  const { board } = span;
  if (board === null) return span.file.datasync();
  if (await coveredElsewhere(board, span)) return;
  const claim = quietly(() => board.begin(span));
  try {
    await span.file.datasync();
  } catch (error) {
    if (claim !== null) quietly(() => board.failed(claim));
    throw error;
  }
  if (claim !== null) quietly(() => board.succeeded(claim));
}

/** Whether a successful flush of another process covers the span, waiting at most WAIT_MS for one in progress that will. */
async function coveredElsewhere(board: FlushBoard, span: Span): Promise<boolean> {
  const since = Date.now();
  for (;;) {
    const state = quietly(() => (board.covers(span, span.start, span.end) ? "covered" : board.flushing(span, span.start, span.end) ? "flushing" : "no"));
    if (state === "covered") return true;
    if (state !== "flushing" || Date.now() - since >= WAIT_MS) return false;
    await sleep(1);
  }
}

/** The board is an aid: when it cannot be read or written, every process flushes its own records. */
function quietly<T>(use: () => T): T | null {
  try {
    return use();
  } catch {
    return null;
  }
}

function settle(waiter: Waiter, error: unknown): void {
  waiter.record.file.release();
  waiter.record.board?.release();
  if (error === null) waiter.resolve();
  else waiter.reject(error);
}
