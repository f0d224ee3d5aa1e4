/**
 * Filesystem driver (Node): one folder per store, holding an append-only log of records.
 *
 * - **Layout** (docs/filesystem.md, src/node/fs-folder.ts): `edge-kv-store.json` (marks the folder as
 *   a store), `data-<16-digit sequence>.log` (the current log segment), `lock/` (present while a
 *   process writes). Keys are bytes inside the log, never file names, so no key can reach outside
 *   the folder or collide with another on a case-insensitive file system.
 * - **Atomic and durable writes**: a write appends one checksummed record (value, metadata,
 *   generation, expiry and times together; src/node/fs-log.ts) and, with `durability: "durable"`
 *   (the default), waits for `fdatasync`. A record cut short by a crash fails its length or checksum
 *   and is dropped, so every key holds its old or its new record, never a mix.
 * - **Several processes**: writers take the folder lock (src/node/fs-lock.ts), catch up on what other
 *   processes appended, evaluate the core's plan against the current record and append. Readers take
 *   no lock: before each operation they read what was appended since they last looked (one `fstat`
 *   when nothing changed).
 * - **Ordered scans without reading files**: every process keeps an in-memory ordered index of the
 *   log (key → position, generation, expiry, size; src/node/fs-index.ts), built when it opens the folder.
 * - **Compaction** (src/node/fs-compact.ts): when more than half the log (and at least
 *   `compactAfterBytes`) is overwritten or deleted records, the lock holder copies the live records
 *   into the next segment, seals the old one (a final record pointing at the new one), renames the
 *   new one into place and removes the old one. `clear()` compacts to nothing.
 * - **I/O** (src/node/fs-file.ts): reads, appends and size checks are synchronous calls on the open
 *   log (microseconds on the page cache); flushes to the disk stay asynchronous.
 */
import { promises as fsp } from "node:fs";
import { join, resolve } from "node:path";
import type { DeletePlan, DeleteResult, KVDriver, ScanItem, ScanRange, StoredRecord, WritePlan, WriteResult } from "../drivers/driver.js";
import { decideDelete, decideWrite, type CurrentRecord } from "../drivers/plan.js";
import { EdgeKvError } from "../errors.js";
import { toWellFormed } from "../utf8.js";
import { copyRecords } from "./fs-compact.js";
import { StoreCorruptedError, code, describeValue, folderError } from "./fs-errors.js";
import { LogFile } from "./fs-file.js";
import { createSegment, listSegments, prepareFolder, removeLeftovers, segmentName, syncFolder } from "./fs-folder.js";
import { LogIndex, type IndexEntry } from "./fs-index.js";
import { FolderLock, sleep } from "./fs-lock.js";
import { Kind, SEGMENT_HEADER_BYTES, decodePut, decodeSegmentHeader, encodeDelete, encodePut, encodeSeal, parseRecord } from "./fs-log.js";
import { repairStore } from "./fs-repair.js";
import { GroupFlush, type PendingRecord } from "./fs-flush.js";

export { StoreCorruptedError, describeValue } from "./fs-errors.js";

export type Durability = "durable" | "relaxed";

export interface FileSystemDriverOptions {
  /** The store's folder. Created if missing; an existing folder must be empty or an edge-kv store. */
  directory: string;
  /**
   * "durable" (default): every write is flushed to the disk (fdatasync) before it resolves, so it
   * survives a power loss. "relaxed": no flush; a killed process still never loses or tears a write
   * that resolved, but a power loss or OS crash may lose the last writes (never tear them).
   */
  durability?: Durability;
  /** A lock whose owner cannot be proven alive or dead (another host) is broken after this many ms. Default 10000. */
  staleLockMs?: number;
  /** Give up waiting for another process's lock after this many ms. Default 30000. */
  lockTimeoutMs?: number;
  /** Compact once overwritten/deleted records exceed both this many bytes and the live records. Default 4 MiB. */
  compactAfterBytes?: number;
  /** Name recorded in the folder's marker file; opening the folder as another store fails. */
  storeName?: string;
}

const READ_CHUNK = 4 * 1024 * 1024;
/** Longest stretch one driver keeps the write lock while it has writes queued and others wait. */
const LOCK_HOLD_MS = 25;
/** How long it then leaves the lock free for them. */
const HANDOFF_MS = 15;

/** The next-segment number of the seal destroy() writes. */
const DESTROYED = 0;

/** An operation's result, and (durable writes) the flush its record waits for. */
interface Appended<T> {
  result: T;
  durable: Promise<void> | null;
}

/** What reading the rest of a segment found: nothing more to follow, a seal (at byte `at`, naming the next segment), or a file to reread. */
type ReadResult = "ok" | "reload" | { next: number; at: number };

export class FileSystemDriver implements KVDriver {
  readonly description: string;
  /** Absolute path of the store folder. */
  readonly directory: string;
  readonly durability: Durability;
  readonly #lock: FolderLock;
  readonly #compactAfterBytes: number;
  readonly #storeName: string | null;
  #queue: Promise<unknown> = Promise.resolve();
  #file: LogFile | null = null;
  #sequence = 0;
  /** Bytes of the current segment applied to the index (the end of the last valid record). */
  #end = 0;
  #index = new LogIndex();
  #leftoversChecked = false;
  /** Operations queued or running. */
  #pending = 0;
  #lockedSince = 0;
  /** Durable writes wait here for a flush they share (group commit). */
  readonly #flush = new GroupFlush((records) => this.#run(() => this.#locked(() => this.#undo(records))));
  /** Records undone after a failed flush (segment:offset → the entry each replaced), for later undos that meet them. */
  readonly #undone = new Map<string, IndexEntry | null>();

  constructor(options: FileSystemDriverOptions) {
    if (options === null || typeof options !== "object") {
      throw new EdgeKvError("new FileSystemDriver(options) needs an options object: { directory: '/path/to/store' }");
    }
    if (typeof options.directory !== "string" || options.directory === "") {
      throw new EdgeKvError(`new FileSystemDriver: 'directory' must be a non-empty path string, got ${describeValue(options.directory)}`);
    }
    const durability = options.durability ?? "durable";
    if (durability !== "durable" && durability !== "relaxed") {
      throw new EdgeKvError(`new FileSystemDriver: 'durability' must be "durable" or "relaxed", got ${describeValue(durability)}`);
    }
    for (const name of ["staleLockMs", "lockTimeoutMs", "compactAfterBytes"] as const) {
      const value = options[name];
      if (value !== undefined && !(typeof value === "number" && Number.isFinite(value) && value >= 0)) {
        throw new EdgeKvError(`new FileSystemDriver: '${name}' must be a non-negative number, got ${describeValue(value)}`);
      }
    }
    this.directory = resolve(options.directory);
    this.durability = durability;
    this.description = `fs:${this.directory}`;
    this.#compactAfterBytes = options.compactAfterBytes ?? 4 * 1024 * 1024;
    this.#storeName = options.storeName ?? null;
    this.#lock = new FolderLock(this.directory, { staleMs: options.staleLockMs ?? 10_000, timeoutMs: options.lockTimeoutMs ?? 30_000 });
  }

  /** Opens the folder now (it otherwise opens on first use), surfacing folder errors early. */
  static async open(options: FileSystemDriverOptions): Promise<FileSystemDriver> {
    const driver = new FileSystemDriver(options);
    await driver.#run(async () => undefined);
    return driver;
  }

  /**
   * Rebuilds a store whose log has damaged records: every record that can still be read is copied
   * into a new segment, damaged ones are left out, and the old segment is kept next to it as
   * `<segment>.damaged-<time>` for inspection (nothing is deleted). A damaged record whose length is
   * intact is skipped on its own; when the damage leaves no way to find the next record, everything
   * after it is left out. Resolves the number of bytes left out (0 when nothing was damaged).
   */
  static repair(directory: string): Promise<number> {
    const driver = new FileSystemDriver({ directory });
    return repairStore(driver.directory, async () => {
      try {
        await driver.#run(async () => undefined);
      } finally {
        await driver.close();
      }
    });
  }

  // Keys are stored as UTF-8, which has no lone surrogates: they are keyed as the U+FFFD they become
  // (KVStore converts them the same way before calling any driver).
  read(rawKey: string): Promise<StoredRecord | null> {
    const key = toWellFormed(rawKey);
    return this.#run(async () => {
      await this.#catchUp(false);
      const entry = this.#index.get(key);
      return entry === undefined ? null : this.#readRecord(key, entry);
    });
  }

  write(rawKey: string, plan: WritePlan): Promise<WriteResult> {
    const key = toWellFormed(rawKey);
    const appended = this.#run(async (): Promise<Appended<WriteResult>> => {
      // A failed condition needs no lock: the record seen just now is a valid moment to fail at.
      if (plan.require !== "any" && !this.#lock.held) {
        await this.#catchUp(false);
        const seen = decideWrite(this.#current(key), plan);
        if (seen.status !== "written") return { result: seen, durable: null };
      }
      return this.#locked(async () => {
        const result = decideWrite(this.#current(key), plan);
        if (result.status !== "written") return { result, durable: null };
        const { record } = result;
        const bytes = encodePut(key, record);
        const previous = this.#index.get(key) ?? null;
        const offset = this.#append(bytes);
        this.#index.set(key, { offset, length: bytes.byteLength, generation: record.generation, expiresAt: record.expiresAt, lastModified: record.lastModified, size: record.value.byteLength });
        const durable = this.#durable({ key, kind: "put", offset, length: bytes.byteLength, previous });
        await this.#compactIfWorthIt();
        return { result, durable };
      });
    });
    return appended.then((outcome) => this.#whenDurable(outcome));
  }

  delete(rawKey: string, plan: DeletePlan): Promise<DeleteResult> {
    const key = toWellFormed(rawKey);
    const appended = this.#run(async (): Promise<Appended<DeleteResult>> => {
      await this.#catchUp(false);
      const seen = decideDelete(this.#index.get(key) ?? null, plan);
      if (seen.status !== "deleted") return { result: seen, durable: null };
      return this.#locked(async () => {
        const result = decideDelete(this.#index.get(key) ?? null, plan);
        if (result.status !== "deleted") return { result, durable: null };
        const bytes = encodeDelete(key);
        const previous = this.#index.get(key) ?? null;
        const offset = this.#append(bytes);
        this.#index.remove(key);
        const durable = this.#durable({ key, kind: "delete", offset, length: bytes.byteLength, previous });
        await this.#compactIfWorthIt();
        return { result, durable };
      });
    });
    return appended.then((outcome) => this.#whenDurable(outcome));
  }

  scan(range: ScanRange): Promise<ScanItem[]> {
    return this.#run(async () => {
      await this.#catchUp(false);
      return this.#index.scan({
        prefix: toWellFormed(range.prefix ?? ""),
        after: range.after === undefined ? undefined : toWellFormed(range.after),
        limit: range.limit,
      });
    });
  }

  clear(): Promise<void> {
    return this.#run(() => this.#locked(() => this.#rewrite([])));
  }

  /** Closes the log file. The driver reopens the folder if used again. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      this.#closeFile();
      await this.#lock.dispose();
      this.#reset();
    });
  }

  /** Deletes the store folder and everything in it. */
  destroy(): Promise<void> {
    return this.#run(() =>
      this.#locked(async () => {
        // Processes still reading this folder see the seal and start over on an empty store.
        this.#file!.write(encodeSeal(DESTROYED), this.#end);
        this.#closeFile();
        this.#reset();
        await fsp.rm(this.directory, { recursive: true, force: true });
        this.#lock.forget(); // the lock folder went with the store folder
      }),
    );
  }

  /** Number of live and expired records (those not deleted). */
  get size(): number {
    return this.#index.size;
  }

  /** Removes records no longer needed from the log now (it otherwise happens when garbage exceeds live data). */
  compact(): Promise<void> {
    return this.#run(() => this.#locked(() => this.#rewrite(this.#index.orderedKeys())));
  }

  /** The current record of `key` as plans see it; its value is read from the log only when a plan combines. */
  #current(key: string): CurrentRecord | null {
    const entry = this.#index.get(key);
    if (entry === undefined) return null;
    const read = () => this.#readRecord(key, entry).value;
    return {
      generation: entry.generation,
      expiresAt: entry.expiresAt,
      get value() {
        return read();
      },
    };
  }

  #readRecord(key: string, entry: IndexEntry): StoredRecord {
    return decodePut(this.#recordBytes(key, entry)).record;
  }

  /** The checked bytes of the put record of `key` at `entry`. */
  #recordBytes(key: string, entry: IndexEntry): Uint8Array {
    const bytes = this.#file!.read(entry.offset, entry.length);
    if (bytes.byteLength < entry.length) throw this.#corruption(entry.offset, "record cut short");
    const parsed = parseRecord(bytes, 0);
    if (parsed.status !== "ok" || parsed.summary.kind !== Kind.Put || parsed.summary.key !== key) {
      throw this.#corruption(entry.offset, parsed.status === "corrupt" ? parsed.reason : "record does not match the index", key);
    }
    return bytes;
  }

  // ---- operation plumbing -------------------------------------------------------------------

  #enqueue<T>(operation: () => Promise<T>): Promise<T> {
    this.#pending++;
    const result = this.#queue.then(operation);
    this.#queue = result.then(
      () => this.#settled(),
      () => this.#settled(),
    );
    return result;
  }

  /**
   * The write lock is kept while this driver has more operations queued (so a burst or a loop of
   * writes takes it once) and released as soon as the queue is empty, after letting the caller's
   * next operation in (one setImmediate). A holder never keeps it more than LOCK_HOLD_MS at a stretch.
   */
  #settled(): void {
    if (--this.#pending > 0 || !this.#lock.held) return;
    setImmediate(() => {
      if (this.#pending === 0 && this.#lock.held) void this.#enqueue(() => this.#lock.release());
    });
  }

  #run<T>(operation: () => Promise<T>): Promise<T> {
    return this.#enqueue(async () => {
      if (this.#file === null) await this.#open();
      return operation();
    });
  }

  async #locked<T>(operation: () => Promise<T>): Promise<T> {
    if (this.#lock.held && Date.now() - this.#lockedSince > LOCK_HOLD_MS) {
      if (this.#lock.othersWaiting()) {
        // A long run of writes: step aside long enough for a waiting process (polling every ≤ 10 ms) to get in.
        await this.#lock.release();
        await sleep(HANDOFF_MS);
      } else this.#lockedSince = Date.now();
    }
    if (!this.#lock.held) {
      try {
        await this.#lock.acquire();
      } catch (error) {
        if (error instanceof EdgeKvError) throw error;
        if (code(error) !== "ENOENT" || (await fsp.stat(this.directory).catch(() => null)) !== null) throw folderError(this.directory, error, "take the write lock");
        // The folder was deleted under us (by hand, or another process's destroy): start over on an empty store.
        this.#closeFile();
        this.#reset();
        await this.#open();
        return this.#locked(operation);
      }
      this.#lockedSince = Date.now();
    }
    await this.#catchUp(true);
    if (!this.#leftoversChecked) this.#leftoversChecked = await removeLeftovers(this.directory, this.#sequence);
    return operation();
  }

  // ---- opening and catching up with the log -------------------------------------------------

  async #open(): Promise<void> {
    await prepareFolder(this.directory, this.#storeName);
    await this.#loadNewest(false);
  }

  async #segments(): Promise<number[]> {
    const sequences = await listSegments(this.directory);
    if (sequences !== null) return sequences;
    await prepareFolder(this.directory, this.#storeName); // destroyed by another process: start over
    return [];
  }

  /** Opens the newest segment and reads it whole. */
  async #loadNewest(holdingLock: boolean): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      this.#closeFile();
      this.#reset();
      const sequences = await this.#segments();
      const newest = sequences[sequences.length - 1];
      if (newest === undefined) {
        if (!holdingLock) {
          // Under the lock, catching up finds no file and comes back here to create the first segment.
          await this.#locked(async () => undefined);
          return;
        }
        await createSegment(this.directory, 1);
        continue;
      }
      const path = join(this.directory, segmentName(newest));
      let file: LogFile;
      try {
        file = LogFile.open(path, "r+");
      } catch (error) {
        if (code(error) === "ENOENT") continue; // compacted away meanwhile
        throw folderError(this.directory, error, `open ${segmentName(newest)}`);
      }
      const header = file.read(0, SEGMENT_HEADER_BYTES);
      if (decodeSegmentHeader(header) !== newest) {
        file.close();
        throw new EdgeKvError(
          `'${path}' is not an edge-kv log segment (bad header). It may have been edited or truncated. ` +
            `Move it out of the folder (its records are lost) or restore it from a backup.`,
        );
      }
      this.#file = file;
      this.#sequence = newest;
      this.#end = SEGMENT_HEADER_BYTES;
      this.#leftoversChecked = false;
      const result = await this.#index.bulk(() => this.#readNew(holdingLock));
      if (result === "ok") return;
      if (result === "reload") continue;
      if (result.next === DESTROYED) {
        await prepareFolder(this.directory, this.#storeName); // removed by destroy(): start over on an empty store
        continue;
      }
      if ((await this.#segments()).some((sequence) => sequence > newest)) continue; // follow the seal
      // Sealed with no next segment: a compaction stopped between sealing and renaming the new
      // segment into place. Its copy is not trusted; dropping the seal restores this segment.
      if (!holdingLock) {
        await this.#locked(async () => undefined); // catching up under the lock comes back here
        return;
      }
      this.#file!.truncate(result.at);
      if (this.durability === "durable") await this.#file!.datasync();
      return;
    }
    throw new EdgeKvError(`store folder '${this.directory}' kept changing while opening (100 attempts); another process may be compacting it in a loop.`);
  }

  /** Applies what other processes appended; follows a seal to the next segment. */
  async #catchUp(holdingLock: boolean): Promise<void> {
    if (this.#file === null || (await this.#readNew(holdingLock)) !== "ok") await this.#loadNewest(holdingLock);
  }

  /**
   * Reads records from #end to the end of the file. An incomplete record at the end is a write in
   * progress or one cut short by a crash: skipped, and cut off when we hold the lock (no one else can
   * be writing then). A damaged record followed by more data is corruption and stops the store.
   */
  async #readNew(holdingLock: boolean): Promise<ReadResult> {
    const file = this.#file!;
    const { size, links } = file.stat();
    // Deleted under us (by hand, or the folder removed): reload from what the folder holds now, rather
    // than keep reading and appending to a file no other process can see.
    if (links === 0) return "reload";
    if (size === this.#end) return "ok";
    if (size < this.#end) return "reload"; // shrunk under us (edited by hand): reload from scratch
    let position = this.#end;
    let bufferStart = position;
    let buffer = file.read(position, Math.min(READ_CHUNK, size - position));
    while (position < size) {
      const parsed = parseRecord(buffer, position - bufferStart);
      if (parsed.status === "ok") {
        // #end stays before a seal, so every later look at this file finds the seal again.
        if (parsed.summary.kind === Kind.Seal) return { next: parsed.summary.generation, at: position };
        this.#index.apply(parsed.summary, position);
        position += parsed.summary.length;
        this.#end = position;
        continue;
      }
      if (parsed.status === "incomplete") {
        if (position + parsed.needed > size) break;
        await new Promise((resolve) => setImmediate(resolve)); // reads are synchronous: let other work run between chunks
        bufferStart = position;
        buffer = file.read(position, Math.min(Math.max(parsed.needed, READ_CHUNK), size - position));
        continue;
      }
      if (position + parsed.length >= size || allZero(file, position, size)) break;
      throw this.#corruption(position, parsed.reason);
    }
    if (position < size && holdingLock) {
      file.truncate(position);
      if (this.durability === "durable") await file.datasync();
    }
    return "ok";
  }

  #reset(): void {
    this.#index = new LogIndex();
    this.#end = 0;
    this.#sequence = 0;
  }

  // ---- writing ------------------------------------------------------------------------------

  /**
   * Appends one encoded record at the end of the log; returns its offset. Caller holds the lock.
   * The bytes reach the page cache; a durable write then waits for a flush (`#durable`).
   */
  #append(bytes: Uint8Array): number {
    const offset = this.#end;
    try {
      this.#file!.write(bytes, offset);
    } catch (error) {
      // The write is reported as failed, so it must never be served: cut the log back to where it
      // was (we hold the lock). If even that fails, drop the file so the next operation reloads.
      try {
        this.#file!.truncate(offset);
      } catch {
        this.#closeFile();
      }
      throw folderError(this.directory, error, `append to ${segmentName(this.#sequence)}`);
    }
    this.#end = offset + bytes.byteLength;
    return offset;
  }

  /** For a durable store: resolves once the record just appended is on the disk (group commit, src/node/fs-flush.ts). */
  #durable(record: Omit<PendingRecord, "file" | "sequence">): Promise<void> | null {
    if (this.durability !== "durable") return null;
    return this.#flush.durable({ ...record, file: this.#file!, sequence: this.#sequence });
  }

  /** The operation's result once its record is on the disk; a failed flush becomes the folder error it was. */
  #whenDurable<T>({ result, durable }: Appended<T>): T | Promise<T> {
    if (durable === null) return result;
    return durable.then(
      () => result,
      (error: unknown) => {
        throw error instanceof EdgeKvError ? error : folderError(this.directory, error, `flush ${segmentName(this.#sequence)} to the disk`);
      },
    );
  }

  /**
   * After a failed flush, under the lock: undoes `records` (of the current segment) so a write
   * reported as failed is never served, and returns them. When nothing was appended after them they
   * are cut off the log; otherwise, for each key still as they left it, the record it had before is
   * appended again (or a delete). Records of an older segment were copied by a compaction into a
   * flushed segment: they are durable and not returned.
   */
  async #undo(records: PendingRecord[]): Promise<Set<PendingRecord>> {
    const undone = records.filter((record) => record.sequence === this.#sequence).sort((a, b) => a.offset - b.offset);
    if (undone.length === 0) return new Set();
    const file = this.#file!;
    for (const record of undone) this.#undone.set(`${record.sequence}:${record.offset}`, record.previous);
    const start = undone[0]!.offset;
    let end = start;
    for (const record of undone) end = record.offset === end ? end + record.length : Number.NaN;
    try {
      if (end === this.#end) {
        file.truncate(start);
        this.#end = start;
        for (const record of undone.reverse()) {
          const current = this.#index.get(record.key);
          if (record.kind === "put" ? current?.offset === record.offset : current === undefined) this.#restoreEntry(record.key, record.previous);
        }
      } else {
        const byKey = new Map<string, { first: PendingRecord; last: PendingRecord }>();
        for (const record of undone) {
          const seen = byKey.get(record.key);
          if (seen) seen.last = record;
          else byKey.set(record.key, { first: record, last: record });
        }
        for (const [key, { first, last }] of byKey) {
          const current = this.#index.get(key);
          if (!(last.kind === "put" ? current?.offset === last.offset : current === undefined)) continue; // written again since
          const target = this.#lastKept(first.previous);
          if (target === null) {
            if (current !== undefined) {
              this.#append(encodeDelete(key));
              this.#index.remove(key);
            }
          } else {
            const offset = this.#append(this.#recordBytes(key, target));
            this.#index.set(key, { ...target, offset });
          }
        }
      }
      await file.datasync();
    } catch (error) {
      this.#closeFile(); // the next operation reads the log again
      throw error;
    }
    return new Set(undone);
  }

  /** `entry`, or — when it is an undone record — what that record replaced, and so on. */
  #lastKept(entry: IndexEntry | null): IndexEntry | null {
    while (entry !== null) {
      const id = `${this.#sequence}:${entry.offset}`;
      if (!this.#undone.has(id)) return entry;
      entry = this.#undone.get(id)!;
    }
    return null;
  }

  #restoreEntry(key: string, previous: IndexEntry | null): void {
    if (previous === null) this.#index.remove(key);
    else this.#index.set(key, previous);
  }

  async #compactIfWorthIt(): Promise<void> {
    const garbage = this.#end - SEGMENT_HEADER_BYTES - this.#index.liveBytes;
    if (garbage > this.#compactAfterBytes && garbage > this.#index.liveBytes) await this.#rewrite(this.#index.orderedKeys());
  }

  /**
   * Copies the records of `keys` into the next segment, then seals the current one, renames the new
   * one into place and removes the old one. Caller holds the lock. After a crash at any step the
   * newest segment, once a lock holder has come by, is either the old one (seal dropped) or the
   * complete new one; the rest is removed.
   */
  async #rewrite(keys: string[]): Promise<void> {
    const next = this.#sequence + 1;
    const copied = await copyRecords(this.directory, next, keys, this.#index, (key, entry) => this.#recordBytes(key, entry), () => this.#lock.refresh());
    // Seal first, then rename: a reader that finds the new segment always finds the old one sealed,
    // and a seal without a next segment can only mean this step was cut short (see #loadNewest).
    const old = this.#file!;
    const oldPath = join(this.directory, segmentName(this.#sequence));
    try {
      old.write(encodeSeal(next), this.#end);
      await old.datasync();
      await fsp.rename(copied.staging, join(this.directory, segmentName(next)));
    } catch (error) {
      try {
        old.truncate(this.#end);
      } catch {
        // the next lock holder drops the seal (see #loadNewest)
      }
      await fsp.rm(copied.staging, { force: true }).catch(() => undefined);
      throw folderError(this.directory, error, "compact the log");
    }
    this.#file = null;
    old.close();
    await syncFolder(this.directory);
    await fsp.unlink(oldPath).catch(() => undefined);
    await syncFolder(this.directory);
    this.#file = LogFile.open(join(this.directory, segmentName(next)), "r+");
    this.#sequence = next;
    this.#end = copied.size;
    this.#index.replace(copied.entries, copied.size - SEGMENT_HEADER_BYTES);
  }

  #closeFile(): void {
    const file = this.#file;
    this.#file = null;
    file?.close();
  }

  #corruption(offset: number, reason: string, key?: string): StoreCorruptedError {
    return new StoreCorruptedError(this.directory, join(this.directory, segmentName(this.#sequence)), offset, reason, key);
  }
}

/** Whether the file holds only zero bytes from `from` to `to` (what a power loss can leave after a write). */
function allZero(file: LogFile, from: number, to: number): boolean {
  if (to - from > READ_CHUNK) return false;
  return file.read(from, to - from).every((byte) => byte === 0);
}
