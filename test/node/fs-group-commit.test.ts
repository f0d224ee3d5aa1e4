/**
 * Group commit of durable writes: concurrent writers share a flush, and still none of them resolves
 * before a flush that started after its record was written has completed. A failed flush undoes the
 * records it was to cover, so a write reported as failed is never served. The flush is observed and
 * held through a spy on LogFile.datasync: behaviour, not timing.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { EdgeKvError, KVRegistry, KVStore, setRegistry, getRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { LogFile } from "../../src/node/fs-file.js";
import { Kind, SEGMENT_HEADER_BYTES, parseRecord } from "../../src/node/fs-log.js";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);
const outside = getRegistry();
afterEach(() => {
  vi.restoreAllMocks();
  setRegistry(outside);
});

interface Flush {
  /** Size of the log file when the flush started: every byte before it is covered. */
  coveredBytes: number;
  /** Position in the event order when it completed (null: not yet). */
  completedAt: number | null;
}

/** Spies on flushes of log segments; each waits for `release()` before it runs, and the `fail`-th one (1-based) fails. */
function holdFlushes(options: { fail?: number } = {}) {
  const original = LogFile.prototype.datasync;
  const flushes: Flush[] = [];
  let order = 0;
  let open: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (open = resolve));
  vi.spyOn(LogFile.prototype, "datasync").mockImplementation(async function (this: LogFile) {
    if (!/data-\d+\.log$/.test(this.path)) return original.call(this);
    const flush: Flush = { coveredBytes: statSync(this.path).size, completedAt: null };
    flushes.push(flush);
    const index = flushes.length;
    await gate;
    if (index === options.fail) {
      flush.completedAt = order++;
      throw Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" });
    }
    await original.call(this);
    flush.completedAt = order++;
  });
  return {
    flushes,
    /** The next position in the event order (for writes that resolve). */
    tick: () => order++,
    release() {
      open();
      gate = Promise.resolve();
    },
  };
}

/** Where each key's last put record ends in the store's log. */
function recordEnds(directory: string): Map<string, number> {
  const name = readdirSync(directory).find((file) => /^data-\d+\.log$/.test(file))!;
  const bytes = new Uint8Array(readFileSync(join(directory, name)));
  const ends = new Map<string, number>();
  for (let at = SEGMENT_HEADER_BYTES; at < bytes.byteLength; ) {
    const parsed = parseRecord(bytes, at);
    if (parsed.status !== "ok") break;
    if (parsed.summary.kind === Kind.Put) ends.set(parsed.summary.key, at + parsed.summary.length);
    at += parsed.summary.length;
  }
  return ends;
}

async function durableStore() {
  const directory = join(tempFolder(), "store");
  const driver = await FileSystemDriver.open({ directory, durability: "durable" });
  const registry = new KVRegistry();
  registry.defineStore("s", { driver });
  setRegistry(registry);
  return { directory, driver, store: new KVStore("s") };
}

const turns = async (count: number) => {
  for (let i = 0; i < count; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Lets the event loop turn until `done()` holds (at most 1000 turns; no timers). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !done(); i++) await turns(1);
  expect(done()).toBe(true);
}

describe("group commit of durable writes", () => {
  it("16 concurrent puts share two flushes, and each resolves only after a flush that covers its bytes", async () => {
    const { directory, store, driver } = await durableStore();
    const hold = holdFlushes();
    const resolvedAt = new Map<string, number>();
    const puts = Array.from({ length: 16 }, (_, i) => store.put(`k${i}`, `value ${i}`).then(() => resolvedAt.set(`k${i}`, hold.tick())));
    await until(() => recordEnds(directory).size === 16);
    await turns(20);
    // Every record is in the log, a flush is waiting, and no put has resolved.
    expect(recordEnds(directory).size).toBe(16);
    expect(hold.flushes).toHaveLength(1);
    expect(resolvedAt.size).toBe(0);
    hold.release();
    await Promise.all(puts);
    expect(hold.flushes).toHaveLength(2);
    for (const [key, end] of recordEnds(directory)) {
      const covering = hold.flushes.filter((flush) => flush.coveredBytes >= end && flush.completedAt !== null && flush.completedAt < resolvedAt.get(key)!);
      expect(covering.length, `a flush covering ${key} completed before its put resolved`).toBeGreaterThan(0);
    }
    await driver.close();
  });

  it("one writer at a time still gets one flush per put, each after its bytes", async () => {
    const { directory, store, driver } = await durableStore();
    const hold = holdFlushes();
    hold.release();
    const resolvedAt = new Map<string, number>();
    for (let i = 0; i < 3; i++) {
      await store.put(`k${i}`, "v");
      resolvedAt.set(`k${i}`, hold.tick());
    }
    expect(hold.flushes).toHaveLength(3);
    for (const [key, end] of recordEnds(directory)) {
      expect(hold.flushes.some((flush) => flush.coveredBytes >= end && flush.completedAt! < resolvedAt.get(key)!)).toBe(true);
    }
    await driver.close();
  });

  it("a failed shared flush fails every write it covered, which are never served, here or after a restart", async () => {
    const { directory, store, driver } = await durableStore();
    await store.put("kept", "old");
    const hold = holdFlushes({ fail: 2 });
    const first = store.put("first", "durable");
    await until(() => hold.flushes.length === 1);
    const failing = [store.put("kept", "new"), ...Array.from({ length: 5 }, (_, i) => store.put(`lost${i}`, "x")), store.delete("first")];
    await until(() => recordEnds(directory).size === 7);
    await turns(20);
    hold.release();
    await first;
    const outcomes = await Promise.allSettled(failing);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe("rejected");
      const reason = (outcome as PromiseRejectedResult).reason as Error;
      expect(reason).toBeInstanceOf(EdgeKvError);
      expect(reason.message).toContain("EIO: i/o error, fdatasync");
    }
    const served = async (s: KVStore) => ({ kept: await (await s.get("kept"))?.text(), first: await (await s.get("first"))?.text(), lost: await s.get("lost0") });
    expect(await served(store)).toEqual({ kept: "old", first: "durable", lost: null });
    vi.restoreAllMocks();
    await store.put("after", "fine");
    await driver.close();
    const reopened = new KVRegistry();
    reopened.defineStore("s", { driver: await FileSystemDriver.open({ directory, durability: "durable" }) });
    setRegistry(reopened);
    const again = new KVStore("s");
    expect(await served(again)).toEqual({ kept: "old", first: "durable", lost: null });
    expect((await again.list({})).list).toEqual(["after", "first", "kept"]);
  });

  it("a failed flush after another process appended: the failed write's key gets its old record back, the other process's write stays", async () => {
    const directory = join(tempFolder(), "store");
    const mine = await FileSystemDriver.open({ directory, durability: "durable" });
    const other = await FileSystemDriver.open({ directory, durability: "relaxed" });
    const registry = new KVRegistry();
    registry.defineStore("mine", { driver: mine });
    registry.defineStore("other", { driver: other });
    setRegistry(registry);
    const a = new KVStore("mine");
    const b = new KVStore("other");
    await a.put("k", "old", { metadata: "m" });
    const hold = holdFlushes({ fail: 1 });
    const failing = a.put("k", "new");
    await until(() => hold.flushes.length === 1); // mine appended; its flush waits
    await turns(20); // and it releases the lock
    await b.put("theirs", "kept"); // appended after mine's record
    hold.release();
    await expect(failing).rejects.toThrow("EIO: i/o error, fdatasync");
    const entry = await a.get("k");
    expect(await entry!.text()).toBe("old");
    expect(entry!.metadataText()).toBe("m");
    expect(await (await a.get("theirs"))!.text()).toBe("kept");
    expect(await (await b.get("k"))!.text()).toBe("old");
    await mine.close();
    await other.close();
    const reopened = await FileSystemDriver.open({ directory, durability: "relaxed" });
    expect(new TextDecoder().decode((await reopened.read("k"))!.value)).toBe("old");
    expect(new TextDecoder().decode((await reopened.read("theirs"))!.value)).toBe("kept");
    await reopened.close();
  });
});
