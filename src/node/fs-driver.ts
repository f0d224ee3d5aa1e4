/**
 * Filesystem driver (Node): one folder per store, holding an append-only log of records.
 *
 * - **Layout** (docs/filesystem.md): `edge-kv-store.json` (marks the folder as a store),
 *   `data-<16-digit sequence>.log` (the current log segment), `lock/` (present while a process writes).
 *   Keys are bytes inside the log, never file names, so no key can reach outside the folder or
 *   collide with another on a case-insensitive file system.
 * - **Atomic and durable writes**: a write appends one checksummed record (value, metadata,
 *   generation, expiry and times together) and, with `durability: "durable"` (the default), waits for
 *   `fdatasync`. A record cut short by a crash fails its length or checksum and is dropped, so every
 *   key holds its old or its new record, never a mix.
 * - **Several processes**: writers take the folder lock (src/node/fs-lock.ts), catch up on what other
 *   processes appended, check the expected generation and append. Readers take no lock: before each
 *   operation they read what was appended since they last looked (one `fstat` when nothing changed).
 * - **Ordered scans without reading files**: every process keeps an in-memory ordered index of the
 *   log (key → position, generation, expiry, size), built when it opens the folder.
 * - **Compaction**: when more than half the log (and at least `compactAfterBytes`) is overwritten or
 *   deleted records, the lock holder copies the live records into the next segment, seals the old
 *   one (a final record pointing at the new one), renames the new one into place and removes the
 *   old one. `clear()` compacts to nothing.
 * - **I/O** (src/node/fs-file.ts): reads, appends and size checks are synchronous calls on the open
 *   log (microseconds on the page cache); flushes to the disk stay asynchronous.
 */
import { randomBytes } from "node:crypto";
import { promises as fsp, statSync, type Stats } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import type { DeletePlan, DeleteResult, KVDriver, ScanItem, ScanRange, StoredRecord, WritePlan, WriteResult } from "../drivers/driver.js";
import { decideDelete, decideWrite, type CurrentRecord } from "../drivers/plan.js";
import { SortedKeys } from "../drivers/sorted-keys.js";
import { concatBytes } from "../bytes.js";
import { EdgeKvError } from "../errors.js";
import { compareUtf8, toWellFormed } from "../utf8.js";
import { LogFile } from "./fs-file.js";
import { FolderLock, ownerState, sleep } from "./fs-lock.js";
import {
  Kind,
  RECORD_HEADER_BYTES,
  SEGMENT_HEADER_BYTES,
  decodePut,
  decodeSegmentHeader,
  encodeDelete,
  encodePut,
  encodeSeal,
  encodeSegmentHeader,
  parseRecord,
  type RecordSummary,
} from "./fs-log.js";

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

interface IndexEntry {
  offset: number;
  length: number;
  generation: number;
  expiresAt: number | null;
  lastModified: number;
  size: number;
}

const MARKER = "edge-kv-store.json";
const MARKER_FORMAT = "edge-kv/fs";
const MARKER_VERSION = 1;
const SEGMENT_PATTERN = /^data-(\d{16})\.log$/;
const READ_CHUNK = 4 * 1024 * 1024;
/** Longest stretch one driver keeps the write lock while it has writes queued and others wait. */
const LOCK_HOLD_MS = 25;
/** How long it then leaves the lock free for them. */
const HANDOFF_MS = 15;
const OWN_ENTRY = /^(edge-kv-store\.json|lock|waiters|data-\d{16}\.log(\.damaged-\d+)?|tmp-.*|\.lock-.*|\.marker-.*)$/;

/** The next-segment number of the seal destroy() writes. */
const DESTROYED = 0;

/** What reading the rest of a segment found: nothing more to follow, a seal (at byte `at`, naming the next segment), or a file to reread. */
type ReadResult = "ok" | "reload" | { next: number; at: number };

const segmentName = (sequence: number) => `data-${String(sequence).padStart(16, "0")}.log`;

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
  #index = new Map<string, IndexEntry>();
  #keys = new SortedKeys();
  /** Bytes of records still live (the rest of the segment after the header is garbage). */
  #liveBytes = 0;
  #leftoversChecked = false;
  /** Operations queued or running. */
  #pending = 0;
  #lockedSince = 0;
  /** Reading a whole segment: #keys is rebuilt at the end instead of kept in step. */
  #loadingWhole = false;

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

  #readRecord(key: string, entry: IndexEntry): StoredRecord {
    const bytes = this.#readAt(entry.offset, entry.length);
    const parsed = parseRecord(bytes, 0);
    if (parsed.status !== "ok" || parsed.summary.kind !== Kind.Put || parsed.summary.key !== key) {
      throw this.#corruption(entry.offset, parsed.status === "corrupt" ? parsed.reason : "record does not match the index", key);
    }
    return decodePut(bytes).record;
  }

  write(rawKey: string, plan: WritePlan): Promise<WriteResult> {
    const key = toWellFormed(rawKey);
    return this.#run(async () => {
      // A failed condition needs no lock: the record seen just now is a valid moment to fail at.
      if (plan.require !== "any" && !this.#lock.held) {
        await this.#catchUp(false);
        const seen = decideWrite(this.#current(key), plan);
        if (seen.status !== "written") return seen;
      }
      return this.#locked(async () => {
        const result = decideWrite(this.#current(key), plan);
        if (result.status !== "written") return result;
        const { record } = result;
        const bytes = encodePut(key, record);
        const offset = await this.#append(bytes);
        this.#setEntry(key, { offset, length: bytes.byteLength, generation: record.generation, expiresAt: record.expiresAt, lastModified: record.lastModified, size: record.value.byteLength });
        await this.#compactIfWorthIt();
        return result;
      });
    });
  }

  delete(rawKey: string, plan: DeletePlan): Promise<DeleteResult> {
    const key = toWellFormed(rawKey);
    return this.#run(async () => {
      await this.#catchUp(false);
      const seen = decideDelete(this.#index.get(key) ?? null, plan);
      if (seen.status !== "deleted") return seen;
      return this.#locked(async () => {
        const result = decideDelete(this.#index.get(key) ?? null, plan);
        if (result.status !== "deleted") return result;
        await this.#append(encodeDelete(key));
        this.#removeEntry(key);
        await this.#compactIfWorthIt();
        return result;
      });
    });
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

  scan(range: ScanRange): Promise<ScanItem[]> {
    return this.#run(async () => {
      await this.#catchUp(false);
      const prefix = toWellFormed(range.prefix ?? "");
      const after = range.after === undefined ? undefined : toWellFormed(range.after);
      const items: ScanItem[] = [];
      if (range.limit <= 0) return items;
      const afterWithinPrefix = after !== undefined && compareUtf8(after, prefix) >= 0;
      this.#keys.forEachFrom(afterWithinPrefix ? after! : prefix, afterWithinPrefix, (key) => {
        if (!key.startsWith(prefix)) return false;
        const entry = this.#index.get(key)!;
        items.push({ key, expiresAt: entry.expiresAt, size: entry.size, lastModified: entry.lastModified });
        return items.length < range.limit;
      });
      return items;
    });
  }

  clear(): Promise<void> {
    return this.#run(() => this.#locked(() => this.#rewrite([])));
  }

  /** Closes the log file. The driver reopens the folder if used again. */
  close(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#closeFile();
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
        await this.#closeFile();
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
    return this.#run(() => this.#locked(() => this.#rewrite([...this.#orderedKeys()])));
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
        if (code(error) !== "ENOENT" || (await fsp.stat(this.directory).catch(() => null)) !== null) throw this.#folderError(error, "take the write lock");
        // The folder was deleted under us (by hand, or another process's destroy): start over on an empty store.
        await this.#closeFile();
        this.#reset();
        await this.#open();
        return this.#locked(operation);
      }
      this.#lockedSince = Date.now();
    }
    await this.#catchUp(true);
    if (!this.#leftoversChecked) await this.#removeLeftovers();
    return operation();
  }

  // ---- opening ------------------------------------------------------------------------------

  async #open(): Promise<void> {
    await this.#prepareFolder();
    await this.#loadNewest(false);
  }

  async #prepareFolder(): Promise<void> {
    let stat: Stats | null = null;
    try {
      stat = await fsp.stat(this.directory);
    } catch (error) {
      if (code(error) !== "ENOENT") throw this.#folderError(error, "open it");
    }
    if (stat === null) {
      try {
        await fsp.mkdir(this.directory, { recursive: true });
      } catch (error) {
        throw this.#folderError(error, "create it");
      }
    } else if (!stat.isDirectory()) {
      throw new EdgeKvError(`store folder '${this.directory}' is a file, not a folder. Move the file away or choose another directory.`);
    }
    const markerPath = join(this.directory, MARKER);
    let text: string | null = null;
    try {
      text = await fsp.readFile(markerPath, "utf8");
    } catch (error) {
      if (code(error) !== "ENOENT") throw this.#folderError(error, `read ${MARKER}`);
    }
    if (text === null) {
      let entries: string[];
      try {
        entries = await fsp.readdir(this.directory);
      } catch (error) {
        throw this.#folderError(error, "list it");
      }
      const foreign = entries.filter((name) => !OWN_ENTRY.test(name));
      if (foreign.length > 0) {
        throw new EdgeKvError(
          `folder '${this.directory}' is not empty and is not an edge-kv store (no ${MARKER}; it holds ${foreign.slice(0, 3).map((n) => `'${n}'`).join(", ")}${foreign.length > 3 ? ", ..." : ""}). ` +
            `Choose an empty or new folder for the store.`,
        );
      }
      const marker = { format: MARKER_FORMAT, version: MARKER_VERSION, store: this.#storeName };
      const staging = join(this.directory, `.marker-${randomBytes(6).toString("hex")}`);
      try {
        await fsp.writeFile(staging, JSON.stringify(marker, null, 2) + "\n");
        await fsp.rename(staging, markerPath);
      } catch (error) {
        await fsp.rm(staging, { force: true }).catch(() => undefined);
        throw this.#folderError(error, `write ${MARKER}`);
      }
      return this.#prepareFolder(); // check what is there now: another process may have written it first
    }
    let marker: { format?: unknown; version?: unknown; store?: unknown };
    try {
      marker = JSON.parse(text) as typeof marker;
    } catch {
      throw new EdgeKvError(`'${markerPath}' is damaged (not JSON). If the folder holds an edge-kv store, restore that file as {"format":"${MARKER_FORMAT}","version":${MARKER_VERSION}}; otherwise choose another directory.`);
    }
    if (marker?.format !== MARKER_FORMAT) {
      throw new EdgeKvError(`'${markerPath}' does not describe an edge-kv filesystem store (format ${describeValue(marker?.format)}). Choose another directory.`);
    }
    if (marker.version !== MARKER_VERSION) {
      throw new EdgeKvError(`store folder '${this.directory}' has format version ${describeValue(marker.version)}; this edge-kv reads version ${MARKER_VERSION}. Use the edge-kv version that wrote it, or another directory.`);
    }
    if (this.#storeName !== null && marker.store !== null && marker.store !== undefined && marker.store !== this.#storeName) {
      throw new EdgeKvError(`store folder '${this.directory}' belongs to store ${describeValue(marker.store)}, not '${this.#storeName}'. Two store names map to this folder; rename one of the stores.`);
    }
  }

  async #segments(): Promise<number[]> {
    let names: string[];
    try {
      names = await fsp.readdir(this.directory);
    } catch (error) {
      if (code(error) === "ENOENT") {
        await this.#prepareFolder(); // destroyed by another process: start over
        return [];
      }
      throw this.#folderError(error, "list it");
    }
    const sequences: number[] = [];
    for (const name of names) {
      const match = SEGMENT_PATTERN.exec(name);
      if (match) sequences.push(Number(match[1]));
    }
    return sequences.sort((a, b) => a - b);
  }

  /** Opens the newest segment and reads it whole. */
  async #loadNewest(holdingLock: boolean): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt++) {
      await this.#closeFile();
      this.#reset();
      const sequences = await this.#segments();
      const newest = sequences[sequences.length - 1];
      if (newest === undefined) {
        if (!holdingLock) {
          // Under the lock, catching up finds no file and comes back here to create the first segment.
          await this.#locked(async () => undefined);
          return;
        }
        await this.#createSegment(1);
        continue;
      }
      const path = join(this.directory, segmentName(newest));
      let file: LogFile;
      try {
        file = LogFile.open(path, "r+");
      } catch (error) {
        if (code(error) === "ENOENT") continue; // compacted away meanwhile
        throw this.#folderError(error, `open ${segmentName(newest)}`);
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
      // A whole segment is indexed by key first and ordered once at the end (much cheaper than
      // inserting 100,000 keys one by one into the ordered index).
      this.#loadingWhole = true;
      let result: ReadResult;
      try {
        result = await this.#readNew(holdingLock);
      } finally {
        this.#loadingWhole = false;
        this.#keys = orderedKeys(this.#index.keys());
      }
      if (result === "ok") return;
      if (result === "reload") continue;
      if (result.next === DESTROYED) {
        await this.#prepareFolder(); // removed by destroy(): start over on an empty store
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

  async #createSegment(sequence: number): Promise<void> {
    const staging = join(this.directory, `tmp-${process.pid}-${randomBytes(6).toString("hex")}.log`);
    try {
      const file = LogFile.open(staging, "wx");
      try {
        file.write(encodeSegmentHeader(sequence), 0);
        await file.sync(); // always: a new segment replaces everything before it
      } finally {
        file.close();
      }
      await fsp.rename(staging, join(this.directory, segmentName(sequence)));
      await this.#syncFolder();
    } catch (error) {
      await fsp.rm(staging, { force: true }).catch(() => undefined);
      throw this.#folderError(error, "create a log segment");
    }
  }

  // ---- catching up with the log -------------------------------------------------------------

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
        this.#apply(parsed.summary, position);
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

  /** Updates the index from one put or delete record. */
  #apply(summary: RecordSummary, offset: number): void {
    if (summary.kind === Kind.Put) {
      this.#setEntry(summary.key, {
        offset,
        length: summary.length,
        generation: summary.generation,
        expiresAt: summary.expiresAt,
        lastModified: summary.lastModified,
        size: summary.valueSize,
      });
    } else if (summary.kind === Kind.Delete) {
      this.#removeEntry(summary.key);
    }
  }

  #setEntry(key: string, entry: IndexEntry): void {
    const previous = this.#index.get(key);
    if (previous !== undefined) this.#liveBytes -= previous.length;
    else if (!this.#loadingWhole) this.#keys.insert(key);
    this.#index.set(key, entry);
    this.#liveBytes += entry.length;
  }

  #removeEntry(key: string): void {
    const previous = this.#index.get(key);
    if (previous === undefined) return;
    this.#index.delete(key);
    if (!this.#loadingWhole) this.#keys.remove(key);
    this.#liveBytes -= previous.length;
  }

  #reset(): void {
    this.#index = new Map();
    this.#keys = new SortedKeys();
    this.#liveBytes = 0;
    this.#end = 0;
    this.#sequence = 0;
  }

  // ---- writing ------------------------------------------------------------------------------

  /** Appends one encoded record at the end of the log; returns its offset. Caller holds the lock. */
  async #append(bytes: Uint8Array): Promise<number> {
    const offset = this.#end;
    try {
      this.#file!.write(bytes, offset);
      if (this.durability === "durable") await this.#file!.datasync();
    } catch (error) {
      // The write is reported as failed, so it must never be served: cut the log back to where it
      // was (we hold the lock). If even that fails, drop the file so the next operation reloads.
      try {
        this.#file!.truncate(offset);
        if (this.durability === "durable") await this.#file!.datasync();
      } catch {
        await this.#closeFile();
      }
      throw this.#folderError(error, `append to ${segmentName(this.#sequence)}`);
    }
    this.#end = offset + bytes.byteLength;
    return offset;
  }

  async #compactIfWorthIt(): Promise<void> {
    const garbage = this.#end - SEGMENT_HEADER_BYTES - this.#liveBytes;
    if (garbage > this.#compactAfterBytes && garbage > this.#liveBytes) await this.#rewrite([...this.#orderedKeys()]);
  }

  *#orderedKeys(): Generator<string> {
    const keys: string[] = [];
    this.#keys.forEachFrom("", false, (key) => (keys.push(key), true));
    yield* keys;
  }

  /**
   * Copies the records of `keys` into the next segment, then seals the current one, renames the new
   * one into place and removes the old one. Caller holds the lock. After a crash at any step the
   * newest segment, once a lock holder has come by, is either the old one (seal dropped) or the
   * complete new one; the rest is removed.
   */
  async #rewrite(keys: string[]): Promise<void> {
    const next = this.#sequence + 1;
    const staging = join(this.directory, `tmp-${process.pid}-${randomBytes(6).toString("hex")}.log`);
    const entries = new Map<string, IndexEntry>();
    let out: LogFile | null = null;
    let size = SEGMENT_HEADER_BYTES;
    try {
      out = LogFile.open(staging, "wx");
      const pending: Uint8Array[] = [encodeSegmentHeader(next)];
      let pendingBytes = SEGMENT_HEADER_BYTES;
      let written = 0;
      const flush = async () => {
        const joined = concatBytes(pending);
        out!.write(joined, written);
        written += pendingBytes;
        pending.length = 0;
        pendingBytes = 0;
      };
      for (const [i, key] of keys.entries()) {
        const entry = this.#index.get(key)!;
        const bytes = this.#readAt(entry.offset, entry.length);
        const parsed = parseRecord(bytes, 0);
        if (parsed.status !== "ok" || parsed.summary.key !== key) throw this.#corruption(entry.offset, parsed.status === "corrupt" ? parsed.reason : "record does not match the index", key);
        entries.set(key, { ...entry, offset: size });
        size += entry.length;
        pending.push(bytes);
        pendingBytes += bytes.byteLength;
        if (pendingBytes >= READ_CHUNK) await flush();
        if (i % 1000 === 999) await this.#lock.refresh();
      }
      await flush();
      await out.sync(); // always, even "relaxed": the old segment is removed next, so a power loss must not find this one empty
      out.close();
      out = null;
    } catch (error) {
      out?.close();
      await fsp.rm(staging, { force: true }).catch(() => undefined);
      if (error instanceof EdgeKvError) throw error;
      throw this.#folderError(error, "compact the log");
    }
    // Seal first, then rename: a reader that finds the new segment always finds the old one sealed,
    // and a seal without a next segment can only mean this step was cut short (see #loadNewest).
    const old = this.#file!;
    const oldPath = join(this.directory, segmentName(this.#sequence));
    try {
      old.write(encodeSeal(next), this.#end);
      await old.datasync();
      await fsp.rename(staging, join(this.directory, segmentName(next)));
    } catch (error) {
      try {
        old.truncate(this.#end);
      } catch {
        // the next lock holder drops the seal (see #loadNewest)
      }
      await fsp.rm(staging, { force: true }).catch(() => undefined);
      throw this.#folderError(error, "compact the log");
    }
    this.#file = null;
    old.close();
    await this.#syncFolder();
    await fsp.unlink(oldPath).catch(() => undefined);
    await this.#syncFolder();
    this.#file = LogFile.open(join(this.directory, segmentName(next)), "r+");
    this.#sequence = next;
    this.#end = size;
    this.#index = entries;
    this.#keys = orderedKeys(keys);
    this.#liveBytes = size - SEGMENT_HEADER_BYTES;
  }

  /** Under the lock: seal and remove older segments, staging files and lock staging folders of dead processes. */
  async #removeLeftovers(): Promise<void> {
    let names: string[];
    try {
      names = await fsp.readdir(this.directory);
    } catch {
      return;
    }
    for (const name of names) {
      const path = join(this.directory, name);
      const segment = SEGMENT_PATTERN.exec(name);
      if (segment && Number(segment[1]) < this.#sequence) {
        // Left by a compaction interrupted after its new segment was in place.
        await fsp.appendFile(path, encodeSeal(this.#sequence)).catch(() => undefined);
        await fsp.unlink(path).catch(() => undefined);
      } else if (name.startsWith("tmp-")) {
        await fsp.rm(path, { force: true }).catch(() => undefined); // only lock holders write these
      } else if (name.startsWith(".marker-")) {
        // Written without the lock by processes opening a new folder: only old ones are leftovers.
        const stat = await fsp.stat(path).catch(() => null);
        if (stat !== null && Date.now() - stat.mtimeMs > 60_000) await fsp.rm(path, { force: true }).catch(() => undefined);
      } else if (name.startsWith(".lock-")) {
        const pid = Number(name.slice(6, name.indexOf("-", 6)));
        if (Number.isSafeInteger(pid) && ownerState({ pid, host: hostname(), procStart: null, token: "", since: 0 }) === "dead") {
          await fsp.rm(path, { recursive: true, force: true }).catch(() => undefined);
        }
      }
    }
    this.#leftoversChecked = true;
  }

  // ---- file helpers -------------------------------------------------------------------------

  #readAt(offset: number, length: number): Uint8Array {
    const bytes = this.#file!.read(offset, length);
    if (bytes.byteLength < length) throw this.#corruption(offset, "record cut short");
    return bytes;
  }

  /** Flushes the folder's entries (renames, new files), in every durability: it only runs when segments change. */
  async #syncFolder(): Promise<void> {
    const folder = await fsp.open(this.directory, "r").catch(() => null);
    if (folder === null) return;
    await folder.sync().catch(() => undefined); // not supported everywhere (Windows); best effort
    await folder.close().catch(() => undefined);
  }

  async #closeFile(): Promise<void> {
    const file = this.#file;
    this.#file = null;
    file?.close();
  }

  // ---- errors -------------------------------------------------------------------------------

  #corruption(offset: number, reason: string, key?: string): StoreCorruptedError {
    return new StoreCorruptedError(this.directory, join(this.directory, segmentName(this.#sequence)), offset, reason, key);
  }

  #folderError(error: unknown, doing: string): EdgeKvError {
    const errorCode = code(error);
    const path = (error as NodeJS.ErrnoException | null)?.path ?? this.directory;
    let advice: string;
    if (errorCode === "EACCES" || errorCode === "EPERM") advice = `permission denied on '${path}'. Give this user read and write access to the folder, or choose another directory.`;
    else if (errorCode === "ENOTDIR" || errorCode === "EEXIST") advice = `'${firstFileOnPath(path)}' is a file where a folder is expected. Move that file away or choose another directory.`;
    else if (errorCode === "EROFS") advice = `'${path}' is on a read-only file system. Choose a writable directory.`;
    else if (errorCode === "ENOSPC" || errorCode === "EDQUOT") advice = `the disk holding '${path}' is full. Free some space; nothing was written.`;
    else advice = `${(error as Error)?.message ?? String(error)}.`;
    return new EdgeKvError(`store folder '${this.directory}': cannot ${doing}: ${advice}`, { cause: error });
  }

  /**
   * Rebuilds a store whose log has damaged records: every record that can still be read is copied
   * into a new segment, damaged ones are left out, and the old segment is kept next to it as
   * `<segment>.damaged-<time>` for inspection (nothing is deleted). A damaged record whose length is
   * intact is skipped on its own; when the damage leaves no way to find the next record, everything
   * after it is left out. Resolves the number of bytes left out (0 when nothing was damaged).
   */
  static async repair(directory: string): Promise<number> {
    const driver = new FileSystemDriver({ directory });
    const damage = await driver.#run(async () => null).then(
      () => null,
      (error: unknown) => {
        if (error instanceof StoreCorruptedError) return error;
        throw error;
      },
    );
    await driver.close();
    if (damage === null) return 0;
    const lock = new FolderLock(driver.directory, { staleMs: 10_000, timeoutMs: 30_000 });
    await lock.acquire();
    try {
      const old = LogFile.open(damage.file, "r+");
      try {
        const bytes = old.read(0, old.size());
        const sequence = decodeSegmentHeader(bytes)!;
        const kept: Uint8Array[] = [encodeSegmentHeader(sequence + 1)];
        let lost = 0;
        for (let position = SEGMENT_HEADER_BYTES; position < bytes.byteLength; ) {
          const parsed = parseRecord(bytes, position);
          if (parsed.status === "ok") {
            if (parsed.summary.kind === Kind.Seal) break;
            kept.push(bytes.subarray(position, position + parsed.summary.length));
            position += parsed.summary.length;
            continue;
          }
          // A record whose length passed the sanity check can be stepped over if a valid record (or the end) follows it.
          const resumes = parsed.status === "corrupt" && parsed.length > RECORD_HEADER_BYTES && parseRecord(bytes, position + parsed.length).status !== "corrupt";
          const skip = resumes ? parsed.length : bytes.byteLength - position;
          lost += skip;
          position += skip;
        }
        const next = join(driver.directory, segmentName(sequence + 1));
        const staging = join(driver.directory, `tmp-${process.pid}-${randomBytes(6).toString("hex")}.log`);
        const out = LogFile.open(staging, "wx");
        try {
          out.write(concatBytes(kept), 0);
          await out.sync();
        } finally {
          out.close();
        }
        old.write(encodeSeal(sequence + 1), bytes.byteLength); // processes still on the old segment move on
        await old.sync();
        await fsp.rename(staging, next);
        await fsp.rename(damage.file, `${damage.file}.damaged-${Date.now()}`);
        return lost;
      } finally {
        old.close();
      }
    } finally {
      await lock.dispose();
    }
  }
}

/** A damaged record: the store refuses to serve it (see FileSystemDriver.repair). */
export class StoreCorruptedError extends EdgeKvError {
  /** The log segment holding the damaged record. */
  readonly file: string;
  /** Byte offset of the damaged record in `file`. */
  readonly offset: number;
  /** The key whose record is damaged, when known. */
  readonly key: string | undefined;

  constructor(directory: string, file: string, offset: number, reason: string, key?: string) {
    super(
      `store folder '${directory}': the record at byte ${offset} of '${file}'${key === undefined ? "" : ` (key '${key}')`} is corrupted (${reason}); ` +
        `edge-kv will not serve it. Restore the folder from a backup, or run FileSystemDriver.repair('${directory}') to rebuild the store from ` +
        `every record that can still be read (the damaged file is kept aside, not deleted).`,
    );
    this.name = "StoreCorruptedError";
    this.file = file;
    this.offset = offset;
    this.key = key;
  }
}

/** An ordered index of `keys`: sorted natively first (UTF-16 order, equal to UTF-8 order except around surrogates), so nearly every insert appends. */
function orderedKeys(keys: Iterable<string>): SortedKeys {
  const sorted = [...keys].sort();
  const index = new SortedKeys();
  for (const key of sorted) index.insert(key);
  return index;
}

/** Whether the file holds only zero bytes from `from` to `to` (what a power loss can leave after a write). */
function allZero(file: LogFile, from: number, to: number): boolean {
  if (to - from > READ_CHUNK) return false;
  return file.read(from, to - from).every((byte) => byte === 0);
}

/** The first ancestor of `path` (or `path` itself) that exists and is not a folder. */
function firstFileOnPath(path: string): string {
  const parts: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    parts.push(current);
    if (dirname(current) === current) break;
  }
  for (const candidate of parts.reverse()) {
    try {
      if (!statSync(candidate).isDirectory()) return candidate;
    } catch {
      return path;
    }
  }
  return path;
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** A short description of a value for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (typeof value === "object") return Array.isArray(value) ? "an array" : "an object";
  return `${typeof value} ${String(value)}`;
}
