/**
 * A flush shared across processes. `fdatasync` on any descriptor of a log segment makes every byte
 * written to it before the call durable, so a process whose record was appended before another
 * process's flush of the same segment began need not flush itself once that flush has succeeded.
 * The store folder's `edge-kv-flush` file is the notice board for that: small reads and writes of
 * the page cache (shared by every process; never flushed itself), holding
 *
 * - **flushing**: the claim of a flush in progress (written just before its `fdatasync`), and
 * - **durable**: the claim of the latest flush that succeeded (written after it returned),
 * - **cut**: the newest segment whose log was ever cut short (a failed write undone, a torn tail
 *   removed, a seal dropped): its byte positions may have been reused, so no claim about it is trusted.
 *
 * A claim says: the segment (sequence number and inode) had `end` bytes when a flush began, through a
 * descriptor opened when it had `openedAt` bytes. Every claim written is a true statement, and a
 * racing writer can only replace it with another true one, so reading an older or lower claim only
 * makes a waiter flush itself. A claim covers a record when it names the record's segment, ends at or
 * after the record's end, and its descriptor was opened before the record was written (at or before
 * its start): Linux (errseq, 4.13+) reports a write-back error to the next flush of every descriptor
 * open when it happened, but a descriptor opened after another one already saw the error starts
 * clean, and its flush would succeed without covering the lost page. A record not covered is
 * flushed by its own process, as before; a flush in progress that would cover it is waited for,
 * polling, at most WAIT_MS, so a flusher that crashed or hangs never holds anyone up for long.
 */
import { join } from "node:path";
import { LogFile } from "./fs-file.js";

export const BOARD_NAME = "edge-kv-flush";

/** Longest wait for another process's flush before flushing ourselves. A flush takes 0.3-3 ms. */
export const WAIT_MS = 20;

/** A segment as this process has it open. */
export interface Segment {
  file: LogFile;
  sequence: number;
}

interface Claim {
  sequence: number;
  inode: number;
  end: number;
  openedAt: number;
  /** When the flush began (ms since the epoch). */
  at: number;
}

const FIELDS = 6; // the claim's five numbers and a check of them
const FLUSHING = 0;
const DURABLE = FIELDS * 8;
const CUT = 2 * FIELDS * 8;

/** A check over a slot's numbers: a read torn by a concurrent write (or a foreign file) fails it. */
const check = (values: number[]) => values.reduce((sum, value, i) => sum + value * (i + 3), 0x5eed);

export class FlushBoard {
  readonly #file: LogFile;

  private constructor(file: LogFile) {
    this.#file = file;
  }

  /** Opens the store folder's board, creating it when missing; null when it cannot be used (then nothing is shared). */
  static open(directory: string): FlushBoard | null {
    const path = join(directory, BOARD_NAME);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        return new FlushBoard(LogFile.open(path, "r+"));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT" || attempt > 0) return null;
      }
      try {
        LogFile.open(path, "wx").close();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") return null;
      }
    }
    return null;
  }

  /** Whether a flush that succeeded covers the bytes `start` to `end` of `segment`. */
  covers(segment: Segment, start: number, end: number): boolean {
    const durable = this.#claim(DURABLE);
    return durable !== null && this.#about(durable, segment, start, end);
  }

  /** Whether a flush in progress, begun less than WAIT_MS ago, will cover the bytes `start` to `end` of `segment`. */
  flushing(segment: Segment, start: number, end: number): boolean {
    const flushing = this.#claim(FLUSHING);
    return flushing !== null && Math.abs(Date.now() - flushing.at) < WAIT_MS && this.#about(flushing, segment, start, end);
  }

  /** Announces a flush of `segment` about to begin: everything written to it so far. */
  begin(segment: Segment): Claim {
    const claim: Claim = { sequence: segment.sequence, inode: segment.file.inode, end: segment.file.size(), openedAt: segment.file.openedAtSize, at: Date.now() };
    this.#write(FLUSHING, claim);
    return claim;
  }

  /** Records that the flush announced by `claim` succeeded (unless a claim reaching further is there). */
  succeeded(claim: Claim): void {
    const durable = this.#claim(DURABLE);
    if (durable === null || durable.sequence !== claim.sequence || durable.inode !== claim.inode || durable.end < claim.end || durable.openedAt > claim.openedAt) {
      this.#write(DURABLE, claim);
    }
  }

  /** Withdraws the claim of a flush that failed, so its waiters flush themselves (and meet the error) at once. */
  failed(claim: Claim): void {
    const flushing = this.#claim(FLUSHING);
    if (flushing !== null && flushing.at === claim.at && flushing.end === claim.end && flushing.inode === claim.inode) this.#write(FLUSHING, null);
  }

  /** Before cutting segment `sequence` short (the caller holds the folder lock): no claim about it is trusted from now on. */
  cut(sequence: number): void {
    const cut = this.#claim(CUT);
    if (cut === null || cut.sequence < sequence) this.#write(CUT, { sequence, inode: 0, end: 0, openedAt: 0, at: Date.now() });
  }

  retain(): void {
    this.#file.retain();
  }

  release(): void {
    this.#file.release();
  }

  close(): void {
    this.#file.close();
  }

  #about(claim: Claim, segment: Segment, start: number, end: number): boolean {
    if (claim.sequence !== segment.sequence || claim.inode !== segment.file.inode || claim.end < end || claim.openedAt > start) return false;
    const cut = this.#claim(CUT);
    return cut === null || cut.sequence < segment.sequence;
  }

  #claim(slot: number): Claim | null {
    const bytes = this.#file.read(slot, FIELDS * 8);
    if (bytes.byteLength < FIELDS * 8) return null;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values = Array.from({ length: FIELDS }, (_, i) => view.getFloat64(i * 8, true));
    const [sequence, inode, end, openedAt, at, sum] = values as [number, number, number, number, number, number];
    if (sequence === 0 || sum !== check(values.slice(0, FIELDS - 1))) return null;
    return { sequence, inode, end, openedAt, at };
  }

  #write(slot: number, claim: Claim | null): void {
    const bytes = new Uint8Array(FIELDS * 8);
    if (claim !== null) {
      const values = [claim.sequence, claim.inode, claim.end, claim.openedAt, claim.at];
      const view = new DataView(bytes.buffer);
      [...values, check(values)].forEach((value, i) => view.setFloat64(i * 8, value, true));
    }
    this.#file.write(bytes, slot);
  }
}
