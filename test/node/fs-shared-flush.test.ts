/**
 * Flushes shared across processes (src/node/fs-flush-board.ts): a record that another process's
 * successful flush covers resolves without a flush of its own; a failed or hanging shared flush
 * never makes a write resolve that is not on the disk, nor holds it up for good. Two drivers opened
 * on one folder stand for two processes (each has its own descriptors and its own board handle).
 * Flushes are observed and held through a spy on LogFile.datasync: behaviour, not timing.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { FileSystemDriver } from "edge-kv/node";
import { LogFile } from "../../src/node/fs-file.js";
import { FlushBoard } from "../../src/node/fs-flush-board.js";
import { removeTempFolders, tempFolder } from "./helpers.js";
import { writeRecord } from "../contract/plans.js";

afterAll(removeTempFolders);
afterEach(() => vi.restoreAllMocks());

interface Flush {
  file: LogFile;
  /** Size of the log when the flush was called: every byte before it is covered. */
  size: number;
  done: boolean;
  /** Lets a held flush run (or fail with `error`). */
  release(error?: Error): void;
}

const EIO = () => Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });

/** Spies on flushes of log segments; each waits for its release() unless its file is in `free`. */
function controlFlushes() {
  const original = LogFile.prototype.datasync;
  const flushes: Flush[] = [];
  const free = new Set<LogFile>();
  vi.spyOn(LogFile.prototype, "datasync").mockImplementation(async function (this: LogFile) {
    if (!/data-\d+\.log$/.test(this.path)) return original.call(this);
    let release!: (error?: Error) => void;
    const gate = new Promise<Error | undefined>((resolve) => (release = resolve));
    const flush: Flush = { file: this, size: statSync(this.path).size, done: false, release };
    flushes.push(flush);
    const error = free.has(this) ? undefined : await gate;
    flush.done = true;
    if (error !== undefined) throw error;
    await original.call(this);
  });
  return { flushes, free, by: (file: LogFile) => flushes.filter((flush) => flush.file === file) };
}

const turns = async (count: number) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Lets the event loop turn (and timers of the lock's polling run) until `done()` holds. */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 2000 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(done()).toBe(true);
}

const put = async (driver: FileSystemDriver, key: string, value: string) => {
  const record = { value: new TextEncoder().encode(value), metadata: null, generation: 1, expiresAt: null, lastModified: 1_700_000_000_000, contentType: null };
  expect(await writeRecord(driver, key, record)).toBe(true);
};
const text = async (driver: FileSystemDriver, key: string) => {
  const found = await driver.read(key);
  return found === null ? null : new TextDecoder().decode(found.value);
};

/**
 * Process B has a flush in progress (held) for b0 and b1 appended behind it, waiting for its next
 * flush; then process A appends `a` and calls its own flush, which covers b1.
 */
async function bBehindA() {
  const directory = join(tempFolder(), "store");
  const b = await FileSystemDriver.open({ directory, durability: "durable" });
  const a = await FileSystemDriver.open({ directory, durability: "durable" });
  const control = controlFlushes();
  const b0 = put(b, "b0", "zero");
  await until(() => control.flushes.length === 1);
  const bFile = control.flushes[0]!.file;
  const b1 = put(b, "b1", "one");
  // b1 is appended once B's queue runs it; B's lock is then let go for A.
  await until(() => statSync(bFile.path).size > control.flushes[0]!.size);
  const sizeWithB1 = statSync(bFile.path).size;
  const aPut = put(a, "a", "from A");
  await until(() => control.flushes.length === 2);
  const aFile = control.flushes[1]!.file;
  expect(aFile).not.toBe(bFile);
  expect(control.flushes[1]!.size).toBeGreaterThan(sizeWithB1); // A's flush covers b1
  return { directory, a, b, control, aFile, bFile, b0, b1, aPut };
}

describe("flushes shared across processes", () => {
  it("a record covered by another process's completed flush resolves without a flush of its own", async () => {
    const { a, b, control, aFile, bFile, b0, b1, aPut } = await bBehindA();
    // B's first flush is still held while A's completes.
    expect(control.by(bFile)[0]!.done).toBe(false);
    control.by(aFile)[0]!.release();
    await aPut;
    let settled = false;
    void b1.finally(() => (settled = true));
    control.by(bFile)[0]!.release();
    await until(() => settled || control.by(bFile).length > 1);
    expect(control.by(bFile)).toHaveLength(1); // b1 needed no flush of B's
    await Promise.all([b0, b1]);
    expect(control.by(aFile)).toHaveLength(1);
    expect(await text(b, "b1")).toBe("one");
    await Promise.all([a.close(), b.close()]);
  });

  it("when the shared flush fails, the waiter flushes itself, meets its own error and undoes its record", async () => {
    const { directory, a, b, control, aFile, bFile, b0, b1, aPut } = await bBehindA();
    control.by(bFile)[0]!.release();
    await b0;
    // B now waits for A's flush (or flushes at once): either way its own flush is the one that counts.
    control.free.add(aFile); // A's recovery flushes again
    control.by(aFile)[0]!.release(EIO());
    await expect(aPut).rejects.toThrow("EIO: i/o error, fdatasync");
    await until(() => control.by(bFile).length === 2);
    control.free.add(bFile);
    control.by(bFile)[1]!.release(EIO()); // the write-back error reaches every descriptor open when it happened
    await expect(b1).rejects.toThrow("EIO: i/o error, fdatasync");
    expect(await text(b, "b1")).toBe(null);
    expect(await text(b, "a")).toBe(null);
    expect(await text(b, "b0")).toBe("zero");
    await Promise.all([a.close(), b.close()]);
    const reopened = await FileSystemDriver.open({ directory, durability: "relaxed" });
    expect([await text(reopened, "b0"), await text(reopened, "b1"), await text(reopened, "a")]).toEqual(["zero", null, null]);
    await reopened.close();
  });

  it("a flush that never finishes does not hold up a process waiting for it: it flushes itself", async () => {
    const { a, b, control, aFile, bFile, b0, b1, aPut } = await bBehindA();
    control.free.add(bFile);
    control.by(bFile)[0]!.release();
    await Promise.all([b0, b1]);
    expect(control.by(aFile)[0]!.done).toBe(false); // A's flush still hangs
    expect(control.by(bFile)).toHaveLength(2);
    control.by(aFile)[0]!.release();
    await aPut;
    await Promise.all([a.close(), b.close()]);
  });
});

describe("the board of flushes", () => {
  /** A new, empty segment file, opened for reading and writing as a driver opens one. */
  function segment(directory: string, name: string) {
    const file = LogFile.open(join(directory, name), "wx");
    file.close();
    return LogFile.open(join(directory, name), "r+");
  }

  it("trusts a successful flush only for its own segment, bytes written while its descriptor was open, and until the segment is cut", () => {
    const directory = tempFolder();
    const board = FlushBoard.open(directory)!;
    const other = FlushBoard.open(directory)!; // another process's handle
    const one = segment(directory, "data-0000000000000001.log");
    one.write(new Uint8Array(100), 0);
    const seg1 = { file: one, sequence: 1 };
    expect(other.covers(seg1, 50, 100)).toBe(false);
    const claim = board.begin(seg1);
    expect(other.flushing(seg1, 50, 100)).toBe(true);
    expect(other.flushing(seg1, 50, 101)).toBe(false);
    board.succeeded(claim);
    expect(other.covers(seg1, 50, 100)).toBe(true);
    expect(other.covers(seg1, 50, 101)).toBe(false); // bytes after the flush began
    // The same sequence number on another file (the folder was replaced): not covered.
    const two = segment(directory, "data-0000000000000002.log");
    two.write(new Uint8Array(100), 0);
    expect(other.covers({ file: two, sequence: 1 }, 50, 100)).toBe(false);
    expect(other.covers({ file: two, sequence: 2 }, 50, 100)).toBe(false);
    // Once the segment is cut short, nothing about it is trusted again.
    other.cut(1);
    expect(board.covers(seg1, 50, 100)).toBe(false);
    board.succeeded(board.begin(seg1));
    expect(board.covers(seg1, 50, 100)).toBe(false);
    expect(board.flushing(seg1, 50, 100)).toBe(false);
    // A flush through a descriptor opened after a record was written does not vouch for it.
    const late = LogFile.open(join(directory, "data-0000000000000002.log"), "r+");
    board.succeeded(board.begin({ file: late, sequence: 2 }));
    expect(other.covers({ file: two, sequence: 2 }, 50, 100)).toBe(false);
    expect(other.covers({ file: two, sequence: 2 }, 100, 100)).toBe(true);
    // A withdrawn (failed) flush is no longer waited for.
    const pending = board.begin({ file: two, sequence: 2 });
    expect(other.flushing({ file: two, sequence: 2 }, 0, 100)).toBe(true);
    board.failed(pending);
    expect(other.flushing({ file: two, sequence: 2 }, 0, 100)).toBe(false);
    for (const file of [one, two, late]) file.close();
    board.close();
    other.close();
  });

  it("a durable store's records after a compaction are not taken as covered by a flush of the old segment", async () => {
    const directory = join(tempFolder(), "store");
    const a = await FileSystemDriver.open({ directory, durability: "durable" });
    const b = await FileSystemDriver.open({ directory, durability: "durable" });
    for (let i = 0; i < 20; i++) await put(a, `k${i}`, "x".repeat(200));
    await a.compact(); // segment 2, shorter than what A's flushes of segment 1 covered
    const control = controlFlushes();
    const after = put(b, "after", "y");
    await until(() => control.flushes.length === 1);
    control.flushes[0]!.release();
    await after;
    expect(control.flushes).toHaveLength(1); // B flushed segment 2 itself
    expect(control.flushes[0]!.file.path).toMatch(/data-0000000000000002\.log$/);
    await Promise.all([a.close(), b.close()]);
  });
});
