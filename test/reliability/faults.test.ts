/**
 * Faults: a full disk or read-only file system in the middle of a write, a write lock that cannot be
 * taken, a log segment deleted under a running driver, torn and damaged records planted on disk, and
 * IndexedDB transactions that abort. Each must end in a clear error (what, where, what to do), never
 * in a silently wrong value, and the store must stay usable for other keys.
 *
 * Disk faults are injected by making the file system calls the driver makes fail with the errno a real
 * full or read-only disk gives (ENOSPC, EROFS, EACCES) — after a partial write where a real disk could
 * have made one — because the suite runs as any user on any disk. Planted records are real bytes.
 */
import fs, { existsSync, promises as fsp, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { join } from "node:path";
import fc from "fast-check";
import { IDBFactory, IDBKeyRange, IDBObjectStore } from "fake-indexeddb";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { EdgeKvError, FakeClock, IndexedDBDriver, KVStore, resetRegistry, type StoreAdmin } from "edge-kv";
import { FileSystemDriver, StoreCorruptedError, type Durability } from "edge-kv/node";
import { temporaryRoot } from "./fs-support.js";
import { checkProperty, count, printTally, runs } from "./settings.js";
import { observe } from "./support.js";

const { root, remove } = temporaryRoot("faults");
afterAll(() => {
  remove();
  printTally("faults");
});
afterEach(() => restoreFs());

let folders = 0;
interface FsStore {
  directory: string;
  driver: FileSystemDriver;
  admin: StoreAdmin;
  store: KVStore;
  /** The store on a new driver over the same folder (what a restarted process sees). */
  reopen(): Promise<{ store: KVStore; driver: FileSystemDriver }>;
}

async function fsStore(durability: Durability = "durable"): Promise<FsStore> {
  const directory = join(root, `store-${++folders}`);
  const registry = resetRegistry({ clock: new FakeClock() });
  const driver = new FileSystemDriver({ directory, durability });
  const admin = registry.defineStore("faulty", { driver });
  return {
    directory,
    driver,
    admin,
    store: new KVStore("faulty"),
    async reopen() {
      const again = new FileSystemDriver({ directory, durability });
      const name = `reopened-${folders}-${Math.random()}`;
      registry.defineStore(name, { driver: again });
      return { store: new KVStore(name), driver: again };
    },
  };
}

const text = async (store: KVStore, key: string) => (await store.get(key))?.text() ?? null;
const errno = (code: string, syscall: string) => Object.assign(new Error(`${code}: simulated, ${syscall}`), { code, syscall });
const segment = (directory: string) => join(directory, readdirSync(directory).find((name) => /^data-\d{16}\.log$/.test(name))!);

/** docs/filesystem.md "Errors": the damaged-record message. */
function corruptedMessage(directory: string, file: string, offset: number, reason: string, key?: string): string {
  return (
    `edge-kv: store folder '${directory}': the record at byte ${offset} of '${file}'${key === undefined ? "" : ` (key '${key}')`} is corrupted (${reason}); ` +
    `edge-kv will not serve it. Restore the folder from a backup, or run FileSystemDriver.repair('${directory}') to rebuild the store from ` +
    `every record that can still be read (the damaged file is kept aside, not deleted).`
  );
}

/** The prototype of the FileHandle objects node:fs/promises hands out (where write and datasync live). */
async function fileHandlePrototype(): Promise<Record<string, (...args: unknown[]) => Promise<unknown>>> {
  const probe = await fsp.open(import.meta.filename, "r");
  const proto = Object.getPrototypeOf(probe);
  await probe.close();
  return proto;
}

/** Undoes every injected fault, including in the ESM bindings of node:fs. */
function restoreFs(): void {
  vi.restoreAllMocks();
  syncBuiltinESMExports();
}

/**
 * Makes the next write to a file fail with `code` after `cut(length)` of its bytes reached the file,
 * whichever way the driver writes (fs.writeSync on a descriptor, or a FileHandle). Returns how many
 * writes were intercepted.
 */
async function failNextWrite(code: string, cut: (length: number) => number): Promise<() => number> {
  let calls = 0;
  const proto = await fileHandlePrototype();
  const handleWrite = proto.write!;
  vi.spyOn(proto, "write").mockImplementation(async function (this: unknown, ...args: unknown[]) {
    if (calls++ > 0) return handleWrite.apply(this, args);
    const [buffer, offset, length, position] = args as [Uint8Array, number, number, number];
    if (cut(length) > 0) await handleWrite.call(this, buffer, offset, cut(length), position);
    throw errno(code, "write");
  });
  const writeSync = fs.writeSync;
  vi.spyOn(fs, "writeSync").mockImplementation(((fd: number, buffer: Uint8Array, offset: number, length: number, position: number) => {
    if (calls++ > 0) return writeSync(fd, buffer, offset, length, position);
    if (cut(length) > 0) writeSync(fd, buffer, offset, cut(length), position);
    throw errno(code, "write");
  }) as typeof fs.writeSync);
  syncBuiltinESMExports();
  return () => calls;
}

/** Refuses the next rename onto `target` (taking a lock is one), sync or async, as a read-only folder would. */
function refuseRenameOnto(target: string): () => number {
  let refused = 0;
  const fail = () => Object.assign(errno("EACCES", "rename"), { path: target });
  const rename = fsp.rename;
  vi.spyOn(fsp, "rename").mockImplementation(async (from, to) => {
    if (to === target && refused++ === 0) throw fail();
    return rename(from, to);
  });
  const renameSync = fs.renameSync;
  vi.spyOn(fs, "renameSync").mockImplementation((from, to) => {
    if (to === target && refused++ === 0) throw fail();
    return renameSync(from, to);
  });
  syncBuiltinESMExports();
  return () => refused;
}

describe("filesystem driver: the disk fails mid-write", () => {
  it("a full disk after half a record: the put rejects with an EdgeKvError saying the disk is full, the key keeps its old value, other keys stay writable, and a restart sees no torn record", async () => {
    const s = await fsStore();
    await s.store.put("a", "old a");
    await s.store.put("b", "old b");
    // A real full disk: part of the record reaches the file, then the write fails.
    const injected = await failNextWrite("ENOSPC", (length) => Math.floor(length / 2));
    expect(await observe(() => s.store.put("a", "new value of a, longer than the old one"))).toEqual({
      ok: false,
      error: "EdgeKvError",
      message: `edge-kv: store folder '${s.directory}': cannot append to data-0000000000000001.log: the disk holding '${s.directory}' is full. Free some space; nothing was written.`,
      sync: false,
    });
    restoreFs();
    expect(injected()).toBe(1);
    expect(await text(s.store, "a")).toBe("old a");
    expect(await text(s.store, "b")).toBe("old b");
    await s.store.put("c", "new c");
    expect(await text(s.store, "c")).toBe("new c");
    const restarted = await s.reopen();
    expect(await text(restarted.store, "a")).toBe("old a");
    expect(await text(restarted.store, "c")).toBe("new c");
    expect((await restarted.store.list({})).list).toEqual(["a", "b", "c"]);
    count("faults: disk full mid-write");
  });

  it("a full disk after any number of bytes of the record, then either carrying on or a restart: the old value stays, nothing torn is ever served", async () => {
    const made = await checkProperty(
      fc.asyncProperty(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.boolean(), fc.string({ maxLength: 40 }), async (fraction, restart, value) => {
        const s = await fsStore("relaxed");
        await s.store.put("a", "old a", { metadata: "old" });
        await s.store.put("b", "old b");
        const injected = await failNextWrite("ENOSPC", (length) => Math.floor(fraction * length));
        const result = await observe(() => s.store.put("a", value, { metadata: "new" }));
        restoreFs();
        expect(injected()).toBe(1);
        expect(result.ok === false && result.message.includes("is full. Free some space; nothing was written.")).toBe(true);
        // Either the same process goes on, or it is killed and another opens the folder.
        const reader = restart ? (await s.reopen()).store : s.store;
        const entry = await reader.get("a");
        expect(await entry?.text()).toBe("old a");
        expect(entry?.metadataText()).toBe("old");
        expect(await text(reader, "b")).toBe("old b");
        await reader.put("c", "c");
        expect((await (await s.reopen()).store.list({})).list).toEqual(["a", "b", "c"]);
      }),
      runs(40),
    );
    count("faults: disk full at a random byte of the record", made);
  }, 120_000);

  it("a read-only file system at the write: the put rejects naming the read-only folder, and the store stays usable once it is writable again", async () => {
    const s = await fsStore("relaxed");
    await s.store.put("a", "old a");
    const injected = await failNextWrite("EROFS", () => 0);
    expect(await observe(() => s.store.put("a", "new a"))).toEqual({
      ok: false,
      error: "EdgeKvError",
      message: `edge-kv: store folder '${s.directory}': cannot append to data-0000000000000001.log: '${s.directory}' is on a read-only file system. Choose a writable directory.`,
      sync: false,
    });
    restoreFs();
    expect(injected()).toBe(1);
    expect(await text(s.store, "a")).toBe("old a");
    await s.store.put("b", "b");
    expect((await (await s.reopen()).store.list({})).list).toEqual(["a", "b"]);
    count("faults: read-only file system at write");
  });

  it("a folder that became read-only (the write lock cannot be taken): the put rejects with 'permission denied' and what to do, and nothing changes", async () => {
    const s = await fsStore("relaxed");
    await s.store.put("a", "old a");
    const lockPath = join(s.directory, "lock");
    // The driver may keep the lock briefly after a write; wait (bounded) until it let it go.
    for (let i = 0; i < 200 && existsSync(lockPath); i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(existsSync(lockPath)).toBe(false);
    const refused = refuseRenameOnto(lockPath);
    expect(await observe(() => s.store.put("a", "new a"))).toEqual({
      ok: false,
      error: "EdgeKvError",
      message: `edge-kv: store folder '${s.directory}': cannot take the write lock: permission denied on '${join(s.directory, "lock")}'. Give this user read and write access to the folder, or choose another directory.`,
      sync: false,
    });
    restoreFs();
    expect(refused()).toBe(1);
    expect(await text(s.store, "a")).toBe("old a");
    await s.store.put("a", "new a");
    expect(await text((await s.reopen()).store, "a")).toBe("new a");
    count("faults: write lock refused");
  });
});

describe("filesystem driver: files changed under a running driver", () => {
  it("a torn record at the end of the log (a writer killed mid-append) is ignored, then cut off by the next write; every value stays what it was", async () => {
    const s = await fsStore();
    await s.store.put("a", "value a");
    const path = segment(s.directory);
    const sizeBefore = statSync(path).size;
    await s.store.put("b", "value b", { metadata: "m" });
    const whole = readFileSync(path);
    const lastRecord = whole.subarray(sizeBefore);
    // Plant the first half of a copy of the last record: what a crash in the middle of an append leaves.
    writeFileSync(path, Buffer.concat([whole, lastRecord.subarray(0, Math.floor(lastRecord.length / 2))]));
    const fresh = await s.reopen();
    expect(await text(fresh.store, "a")).toBe("value a");
    expect((await fresh.store.get("b"))?.metadataText()).toBe("m");
    expect(await text(s.store, "b")).toBe("value b");
    await fresh.store.put("c", "value c");
    expect(await text(s.store, "c")).toBe("value c");
    expect((await (await s.reopen()).store.list({})).list).toEqual(["a", "b", "c"]);
    count("faults: torn tail planted");
  });

  it("a tail a crash can leave (a short header, zeros) is ignored; longer garbage after the last record is refused with a StoreCorruptedError giving the byte offset and the repair, which keeps every record before it", async () => {
    const s = await fsStore();
    await s.store.put("a", "value a");
    const path = segment(s.directory);
    const end = statSync(path).size;
    for (const tail of [Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3]), Buffer.alloc(64)]) {
      writeFileSync(path, Buffer.concat([readFileSync(path), tail]));
      const fresh = await s.reopen();
      expect((await fresh.store.list({})).list).toEqual(["a"]);
      expect(await text(fresh.store, "a")).toBe("value a");
      await fresh.store.put("a", "value a"); // the next writer cuts the tail off
      await fresh.driver.close();
      count("faults: crash-shaped tail planted");
    }
    await s.driver.close();
    const clean = statSync(path).size;
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.from("not a record at all")]));
    const fresh = await s.reopen();
    expect(await observe(() => fresh.store.get("a"))).toEqual({ ok: false, error: "StoreCorruptedError", message: corruptedMessage(s.directory, path, clean, "impossible record length 544501614"), sync: false });
    await fresh.driver.close();
    expect(await FileSystemDriver.repair(s.directory)).toBe(19);
    expect(await text((await s.reopen()).store, "a")).toBe("value a");
    expect(end).toBeGreaterThan(0);
    count("faults: garbage tail planted");
  });

  it("a damaged record in the middle of the log: reading that key fails with a StoreCorruptedError naming file, byte, key and the repair; other keys still read; a new process refuses the folder; the repair keeps every readable record", async () => {
    const s = await fsStore();
    await s.store.put("a", "value a");
    const path = segment(s.directory);
    const offsetOfB = statSync(path).size;
    await s.store.put("b", "value b to be damaged");
    const offsetOfC = statSync(path).size;
    await s.store.put("c", "value c");
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(offsetOfC - 3) ^ 0xff, offsetOfC - 3); // flip a byte of b's value
    writeFileSync(path, bytes);
    // A running driver that already indexed the log: only the damaged key fails.
    expect(await observe(() => s.store.get("b"))).toEqual({ ok: false, error: "StoreCorruptedError", message: corruptedMessage(s.directory, path, offsetOfB, "checksum mismatch", "b"), sync: false });
    const error = await s.store.get("b").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreCorruptedError);
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error).toMatchObject({ file: path, offset: offsetOfB, key: "b" });
    expect(await text(s.store, "a")).toBe("value a");
    expect(await text(s.store, "c")).toBe("value c");
    // A new process refuses to serve a log with a hole in it, and says how to repair it.
    const fresh = await s.reopen();
    expect(await observe(() => fresh.store.get("a"))).toEqual({ ok: false, error: "StoreCorruptedError", message: corruptedMessage(s.directory, path, offsetOfB, "checksum mismatch"), sync: false });
    await s.driver.close();
    await fresh.driver.close();
    // The damaged record's length is intact, so the repair skips just it and keeps a and c.
    expect(await FileSystemDriver.repair(s.directory)).toBe(offsetOfC - offsetOfB);
    const repaired = await s.reopen();
    expect((await repaired.store.list({})).list).toEqual(["a", "c"]);
    expect(await text(repaired.store, "a")).toBe("value a");
    expect(await text(repaired.store, "c")).toBe("value c");
    expect(readdirSync(s.directory).some((name) => name.includes(".damaged-"))).toBe(true);
    count("faults: damaged record planted");
  });

  it("the whole store folder deleted under a running driver: the next write starts a fresh store there, and old values are not served", async () => {
    const s = await fsStore();
    await s.store.put("a", "value a");
    await fsp.rm(s.directory, { recursive: true, force: true });
    const fresh = await s.reopen();
    expect(await fresh.store.get("a")).toBeNull();
    await fresh.store.put("b", "value b");
    expect((await (await s.reopen()).store.list({})).list).toEqual(["b"]);
    count("faults: folder deleted");
  });
});

describe("IndexedDB driver: transactions that abort", () => {
  const indexedDB = new IDBFactory();
  let databases = 0;
  async function idbStore() {
    const databaseName = `faults-${++databases}`;
    const registry = resetRegistry({ clock: new FakeClock() });
    registry.defineStore("faulty", { driver: new IndexedDBDriver({ storeName: "faulty", databaseName, indexedDB, IDBKeyRange }) });
    return { databaseName, store: new KVStore("faulty") };
  }

  it("an aborted write rejects with an EdgeKvError naming database and key, writes neither value nor entry, and the store keeps working", async () => {
    const { databaseName, store } = await idbStore();
    await store.put("a", "old a", { metadata: "old" });
    const put = IDBObjectStore.prototype.put;
    let aborted = 0;
    vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["put"]>) {
      const request = put.apply(this, args);
      const transaction = this.transaction;
      // Abort after the put succeeded inside the transaction: everything it did must roll back.
      if (aborted++ === 0) request.addEventListener("success", () => transaction.abort(), { once: true });
      return request;
    });
    const result = await observe(() => store.put("a", "new a", { metadata: "new" }));
    vi.restoreAllMocks();
    expect(aborted).toBeGreaterThan(0);
    expect(result.ok === false && result.error).toBe("EdgeKvError");
    expect(result.ok === false && result.message.startsWith(`edge-kv: IndexedDB database '${databaseName}': the write of key 'a' (5 bytes) failed (`)).toBe(true);
    expect(result.ok === false && result.message.endsWith("and nothing was written. If another tab deleted or upgraded the database, retry; otherwise check the browser's storage settings.")).toBe(true);
    const entry = await store.get("a");
    expect(await entry?.text()).toBe("old a");
    expect(entry?.metadataText()).toBe("old");
    await store.put("b", "b");
    expect((await store.list({})).list).toEqual(["a", "b"]);
    count("faults: IndexedDB write aborted");
  });

  it("an aborted delete rejects clearly and leaves the entry in place", async () => {
    const { databaseName, store } = await idbStore();
    await store.put("a", "value a");
    const del = IDBObjectStore.prototype.delete;
    vi.spyOn(IDBObjectStore.prototype, "delete").mockImplementationOnce(function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore["delete"]>) {
      const request = del.apply(this, args);
      this.transaction.abort();
      return request;
    });
    const result = await observe(() => store.delete("a"));
    vi.restoreAllMocks();
    expect(result.ok === false && result.error).toBe("EdgeKvError");
    expect(result.ok === false && result.message.startsWith(`edge-kv: IndexedDB database '${databaseName}': the `)).toBe(true);
    expect(await text(store, "a")).toBe("value a");
    await store.delete("a");
    expect(await store.get("a")).toBeNull();
    count("faults: IndexedDB delete aborted");
  });
});
