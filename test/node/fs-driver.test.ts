/**
 * The filesystem driver's own rules (the shared contract runs in fs-driver-contract.test.ts):
 * key and store-name mapping, folder errors, corruption, several drivers on one folder,
 * compaction and TTL churn, and the folder lock.
 */
import { spawnSync } from "node:child_process";
import { appendFileSync, chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EdgeKvError, FakeClock, KVRegistry, type StoredRecord } from "edge-kv";
import { FileSystemDriver, StoreCorruptedError, fileSystemStores, storeFolderName } from "edge-kv/node";
import { ADVERSARIAL_KEYS, byUtf8Bytes } from "../contract/driver-contract.js";
import { deleteRecord, writeRecord } from "../contract/plans.js";
import { FolderLock } from "../../src/node/fs-lock.js";
import { encodePut, encodeSeal, encodeSegmentHeader } from "../../src/node/fs-log.js";
import { removeTempFolders, runChild, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const enc = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const record = (value: string, fields: Partial<StoredRecord> = {}): StoredRecord => ({
  value: enc(value),
  metadata: null,
  generation: 1,
  expiresAt: null,
  lastModified: 1_700_000_000_000,
  contentType: null,
  ...fields,
});
const SEGMENT_1 = "data-0000000000000001.log";
/** Files a store folder may hold besides lock staging folders. */
const ownFiles = (directory: string) => readdirSync(directory).filter((name) => !name.startsWith(".lock-")).sort();

describe("key mapping", () => {
  const hostile = [
    ...ADVERSARIAL_KEYS,
    "a",
    "a/b",
    "a/b/c",
    "..%2F..%2Fescape",
    "..\\..\\windows",
    "C:\\temp\\x",
    "/etc/passwd",
    "edge-kv-store.json",
    "lock",
    "data-0000000000000001.log",
    "\u{10FFFF}\u{1F600}",
    "ǅ",
    "ǆ",
    "Ǆ",
    "\u0130",
    "i\u0307",
    "x".repeat(1020) + "\u{1F600}",
  ];

  it("keeps every hostile key distinct inside the store folder and writes nothing else, before and after reopening", async () => {
    const parent = tempFolder();
    const directory = join(parent, "store");
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    for (const [i, key] of hostile.entries()) expect(await writeRecord(driver, key, record(`value ${i}`), null)).toBe(true);
    await driver.close();
    expect(readdirSync(parent)).toEqual(["store"]);
    expect(ownFiles(directory)).toEqual([SEGMENT_1, "edge-kv-store.json"]);

    const reopened = new FileSystemDriver({ directory });
    for (const [i, key] of hostile.entries()) expect(text((await reopened.read(key))!.value)).toBe(`value ${i}`);
    const listed = (await reopened.scan({ limit: 1000 })).map((item) => item.key);
    expect(listed).toEqual([...new Set(hostile)].sort(byUtf8Bytes));
    await reopened.close();
  });

  it("keys a lone surrogate as the U+FFFD it is stored as, before and after reopening", async () => {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    expect(await writeRecord(driver, "lone\uD800", record("v"), null)).toBe(true);
    expect(text((await driver.read("lone\uD800"))!.value)).toBe("v");
    await driver.close();
    const reopened = new FileSystemDriver({ directory });
    expect(text((await reopened.read("lone\uFFFD"))!.value)).toBe("v");
    expect((await reopened.scan({ limit: 10 })).map((item) => item.key)).toEqual(["lone\uFFFD"]);
    expect(await deleteRecord(reopened, "lone\uD800")).toBe(true);
    await reopened.close();
  });

  it("lists a key and the keys it prefixes separately (a, a/, a/b)", async () => {
    const driver = new FileSystemDriver({ directory: tempFolder(), durability: "relaxed" });
    for (const key of ["a/b", "a", "a/"]) await writeRecord(driver, key, record(key), null);
    expect((await driver.scan({ prefix: "a", limit: 10 })).map((item) => item.key)).toEqual(["a", "a/", "a/b"]);
    expect((await driver.scan({ prefix: "a/", limit: 10 })).map((item) => item.key)).toEqual(["a/", "a/b"]);
    await driver.close();
  });
});

describe("reading a log larger than one read chunk (4 MiB)", () => {
  it("reopens records that straddle chunk boundaries and a record larger than a chunk", async () => {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    const sizes = [1_500_000, 1_500_000, 1_500_000, 5_000_000, 10];
    const valueOf = (i: number) => new Uint8Array(sizes[i]!).map((_, j) => (j * 7 + i) & 0xff);
    for (const i of sizes.keys()) await writeRecord(driver, `big${i}`, { ...record(""), value: valueOf(i) }, null);
    await driver.close();
    const reopened = new FileSystemDriver({ directory });
    expect((await reopened.scan({ limit: 10 })).map((item) => [item.key, item.size])).toEqual(sizes.map((size, i) => [`big${i}`, size]));
    for (const i of sizes.keys()) {
      const value = (await reopened.read(`big${i}`))!.value;
      expect(value.byteLength).toBe(sizes[i]);
      expect(value.every((byte, j) => byte === ((j * 7 + i) & 0xff))).toBe(true);
    }
    await reopened.close();
  });
});

describe("store folder names", () => {
  it("keeps lowercase letters, digits, - and _ and escapes every other byte as ~xx", () => {
    expect(storeFolderName("sessions_v2-eu")).toBe("sessions_v2-eu");
    expect(storeFolderName("Sessions")).toBe("~53essions");
    expect(storeFolderName("../etc")).toBe("~2e~2e~2fetc");
    expect(storeFolderName("a b")).toBe("a~20b");
    expect(storeFolderName("é")).toBe("~c3~a9");
    expect(storeFolderName("~")).toBe("~7e");
  });

  it("escapes names Windows reserves (con, nul, com1...)", () => {
    expect(storeFolderName("con")).toBe("~63on");
    expect(storeFolderName("nul")).toBe("~6eul");
    expect(storeFolderName("com1")).toBe("~63om1");
    expect(storeFolderName("console")).toBe("console");
  });

  it("gives names that differ only in case folder names that differ even ignoring case", () => {
    const names = ["abc", "ABC", "Abc", "aBc", "ǅ", "ǆ", "Ǆ"];
    const folders = names.map((name) => storeFolderName(name).toLowerCase());
    expect(new Set(folders).size).toBe(names.length);
  });

  it("shortens long names to 100 characters, ~~ and the SHA-256 of the name", () => {
    const long = "Z".repeat(255);
    const folder = storeFolderName(long);
    expect(folder).toMatch(/^(~5a){33}~~~[0-9a-f]{64}$/);
    expect(folder.length).toBeLessThanOrEqual(200);
    expect(storeFolderName("Z".repeat(254) + "Y")).not.toBe(folder);
  });

  it("fileSystemStores gives each store its own folder under the root", async () => {
    const root = tempFolder();
    const registry = new KVRegistry({ createDriver: fileSystemStores(root, { durability: "relaxed" }) });
    await registry.defineStore("Users").put("k", "upper");
    await registry.defineStore("users").put("k", "lower");
    expect(readdirSync(root).sort()).toEqual(["users", "~55sers"]);
    expect((await registry.store("Users").inspect("k"))!.text).toBe("upper");
    expect(JSON.parse(readFileSync(join(root, "~55sers", "edge-kv-store.json"), "utf8"))).toEqual({ format: "edge-kv/fs", version: 1, store: "Users" });
    await registry.reset();
  });

  it("refuses a folder that belongs to another store name", async () => {
    const root = tempFolder();
    const directory = join(root, "shared");
    await (await FileSystemDriver.open({ directory, storeName: "first" })).close();
    await expect(FileSystemDriver.open({ directory, storeName: "second" })).rejects.toThrow(
      new EdgeKvError(`store folder '${directory}' belongs to store "first", not 'second'. Two store names map to this folder; rename one of the stores.`),
    );
  });
});

describe("unusable folders", () => {
  it("rejects bad options with what was wrong", () => {
    expect(() => new FileSystemDriver(undefined as never)).toThrow(new EdgeKvError("new FileSystemDriver(options) needs an options object: { directory: '/path/to/store' }"));
    expect(() => new FileSystemDriver({ directory: "" })).toThrow(new EdgeKvError(`new FileSystemDriver: 'directory' must be a non-empty path string, got ""`));
    expect(() => new FileSystemDriver({ directory: "x", durability: "fast" as never })).toThrow(
      new EdgeKvError(`new FileSystemDriver: 'durability' must be "durable" or "relaxed", got "fast"`),
    );
    expect(() => new FileSystemDriver({ directory: "x", lockTimeoutMs: -1 })).toThrow(new EdgeKvError(`new FileSystemDriver: 'lockTimeoutMs' must be a non-negative number, got number -1`));
    expect(() => fileSystemStores("")).toThrow(new EdgeKvError(`fileSystemStores: rootDirectory must be a non-empty path string, got ""`));
  });

  it("names the path when the store folder is a file", async () => {
    const directory = join(tempFolder(), "store");
    writeFileSync(directory, "not a folder");
    await expect(FileSystemDriver.open({ directory })).rejects.toThrow(
      new EdgeKvError(`store folder '${directory}' is a file, not a folder. Move the file away or choose another directory.`),
    );
  });

  it("names the path when a parent of the store folder is a file", async () => {
    const parent = join(tempFolder(), "file");
    writeFileSync(parent, "");
    const directory = join(parent, "store");
    await expect(FileSystemDriver.open({ directory })).rejects.toThrow(
      new EdgeKvError(`store folder '${directory}': cannot open it: '${parent}' is a file where a folder is expected. Move that file away or choose another directory.`),
    );
  });

  it("refuses a non-empty folder that is not a store, so it never writes into (or destroys) someone's files", async () => {
    const directory = tempFolder();
    writeFileSync(join(directory, "notes.txt"), "mine");
    await expect(FileSystemDriver.open({ directory })).rejects.toThrow(
      new EdgeKvError(`folder '${directory}' is not empty and is not an edge-kv store (no edge-kv-store.json; it holds 'notes.txt'). Choose an empty or new folder for the store.`),
    );
    expect(readdirSync(directory)).toEqual(["notes.txt"]);
  });

  it("refuses a damaged, foreign or newer marker file", async () => {
    const cases: Array<[string, (directory: string) => string]> = [
      ["{", (d) => `'${join(d, "edge-kv-store.json")}' is damaged (not JSON). If the folder holds an edge-kv store, restore that file as {"format":"edge-kv/fs","version":1}; otherwise choose another directory.`],
      [`{"format":"other"}`, (d) => `'${join(d, "edge-kv-store.json")}' does not describe an edge-kv filesystem store (format "other"). Choose another directory.`],
      [`{"format":"edge-kv/fs","version":2}`, (d) => `store folder '${d}' has format version number 2; this edge-kv reads version 1. Use the edge-kv version that wrote it, or another directory.`],
    ];
    for (const [marker, message] of cases) {
      const directory = tempFolder();
      writeFileSync(join(directory, "edge-kv-store.json"), marker);
      await expect(FileSystemDriver.open({ directory })).rejects.toThrow(new EdgeKvError(message(directory)));
    }
  });

  it("names the path and the fix when the folder is not readable", async () => {
    const parent = tempFolder();
    chmodSync(parent, 0o755);
    const directory = join(parent, "store");
    await (await FileSystemDriver.open({ directory })).close();
    chmodSync(directory, 0o700);
    const expected = `edge-kv: store folder '${directory}': cannot read edge-kv-store.json: permission denied on '${join(directory, "edge-kv-store.json")}'. Give this user read and write access to the folder, or choose another directory.`;
    if (process.getuid?.() === 0) {
      // Root reads everything: open it as an unprivileged user instead. The child is bundled into a
      // world-readable folder first, since that user may not be able to read the checkout itself
      // (a clone inside a private temporary folder, as CI makes).
      const childFolder = tempFolder("edge-kv-child-");
      chmodSync(childFolder, 0o755);
      const script = join(childFolder, "open-store.mjs");
      await build({
        entryPoints: [fileURLToPath(new URL("./children/open-store.ts", import.meta.url))],
        bundle: true,
        platform: "node",
        format: "esm",
        outfile: script,
        alias: { "edge-kv/node": fileURLToPath(new URL("../../src/node/index.ts", import.meta.url)) },
        logLevel: "silent",
      });
      chmodSync(script, 0o644);
      const child = spawnSync(process.execPath, [script, directory], { uid: 65534, gid: 65534, cwd: childFolder, encoding: "utf8", timeout: 20_000 });
      expect(child.stderr).toBe("");
      expect(JSON.parse(child.stdout.split("\n")[0]!)).toEqual({ name: "EdgeKvError", message: expected });
    } else {
      chmodSync(directory, 0o000);
      try {
        await expect(FileSystemDriver.open({ directory })).rejects.toThrow(new EdgeKvError(expected));
      } finally {
        chmodSync(directory, 0o700);
      }
    }
  });
});

describe("damaged data", () => {
  /** A store with a, b, c (one-byte values, 50-byte records at 16, 66, 116). */
  async function threeKeys(): Promise<string> {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory });
    for (const key of ["a", "b", "c"]) await writeRecord(driver, key, record(key.toUpperCase()), null);
    await driver.close();
    expect(statSync(join(directory, SEGMENT_1)).size).toBe(166);
    return directory;
  }
  function flipByte(directory: string, offset: number): void {
    const path = join(directory, SEGMENT_1);
    const bytes = readFileSync(path);
    bytes[offset] = bytes[offset]! ^ 0xff;
    writeFileSync(path, bytes);
  }
  const damaged = (directory: string, offset: number, key?: string) => ({
    name: "StoreCorruptedError",
    file: join(directory, SEGMENT_1),
    offset,
    message:
      `edge-kv: store folder '${directory}': the record at byte ${offset} of '${join(directory, SEGMENT_1)}'${key === undefined ? "" : ` (key '${key}')`} is corrupted (checksum mismatch); ` +
      `edge-kv will not serve it. Restore the folder from a backup, or run FileSystemDriver.repair('${directory}') to rebuild the store from every record that can still be read (the damaged file is kept aside, not deleted).`,
  });

  it("refuses to open a log with a damaged record in the middle, naming the file and byte", async () => {
    const directory = await threeKeys();
    flipByte(directory, 66 + 49);
    const driver = new FileSystemDriver({ directory });
    const error = await driver.read("a").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreCorruptedError);
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error).toMatchObject(damaged(directory, 66));
    await expect(driver.scan({ limit: 10 })).rejects.toMatchObject(damaged(directory, 66));
    await driver.close();
  });

  it("reports a record damaged after opening when it is read, while scans (which read no values) go on", async () => {
    const directory = await threeKeys();
    const driver = new FileSystemDriver({ directory });
    expect(text((await driver.read("b"))!.value)).toBe("B");
    flipByte(directory, 66 + 49);
    await expect(driver.read("b")).rejects.toMatchObject(damaged(directory, 66, "b"));
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "b", "c"]);
    expect(text((await driver.read("c"))!.value)).toBe("C");
    await driver.close();
  });

  it("repair rebuilds the store without the damaged record and keeps the damaged file aside", async () => {
    const directory = await threeKeys();
    flipByte(directory, 66 + 49);
    expect(await FileSystemDriver.repair(directory)).toBe(50);
    const names = readdirSync(directory).sort();
    expect(names).toEqual([expect.stringMatching(new RegExp(`^${SEGMENT_1}\\.damaged-\\d+$`)), "data-0000000000000002.log", "edge-kv-store.json"]);
    const driver = new FileSystemDriver({ directory });
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "c"]);
    expect(text((await driver.read("c"))!.value)).toBe("C");
    await driver.close();
    expect(await FileSystemDriver.repair(directory)).toBe(0);
  });

  it("repair leaves out everything after damage that hides where the next record starts", async () => {
    const directory = await threeKeys();
    const path = join(directory, SEGMENT_1);
    const bytes = readFileSync(path);
    bytes.writeUInt32LE(0xffffffff, 66); // b's length
    writeFileSync(path, bytes);
    expect(await FileSystemDriver.repair(directory)).toBe(100);
    const driver = new FileSystemDriver({ directory });
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a"]);
    await driver.close();
  });

  it("ignores an unfinished record at the end (a write cut short), and the next writer cuts it off", async () => {
    const directory = await threeKeys();
    appendFileSync(join(directory, SEGMENT_1), encodePut("d", record("unfinished")).subarray(0, 30));
    const driver = new FileSystemDriver({ directory });
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "b", "c"]);
    expect(await driver.read("d")).toBeNull();
    expect(statSync(join(directory, SEGMENT_1)).size).toBe(166 + 30);
    await writeRecord(driver, "e", record("E"), null);
    expect(statSync(join(directory, SEGMENT_1)).size).toBe(166 + 50);
    await driver.close();
  });

  it("refuses a segment whose header is not edge-kv's", async () => {
    const directory = await threeKeys();
    flipByte(directory, 0);
    await expect(FileSystemDriver.open({ directory })).rejects.toThrow(
      new EdgeKvError(`'${join(directory, SEGMENT_1)}' is not an edge-kv log segment (bad header). It may have been edited or truncated. Move it out of the folder (its records are lost) or restore it from a backup.`),
    );
  });
});

describe("leftovers of a compaction cut short", () => {
  async function threeKeys(): Promise<{ directory: string; segment: Buffer }> {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory });
    for (const key of ["a", "b", "c"]) await writeRecord(driver, key, record(key.toUpperCase()), null);
    await driver.close();
    return { directory, segment: readFileSync(join(directory, SEGMENT_1)) };
  }

  it("after the seal but before the new segment was renamed in: the seal is dropped and every record kept", async () => {
    const { directory, segment } = await threeKeys();
    appendFileSync(join(directory, SEGMENT_1), encodeSeal(2));
    writeFileSync(join(directory, "tmp-999999-abcdef.log"), "half a new segment");
    const driver = new FileSystemDriver({ directory });
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "b", "c"]);
    expect(statSync(join(directory, SEGMENT_1)).size).toBe(segment.byteLength);
    await writeRecord(driver, "d", record("D"), null);
    await driver.close();
    expect(readdirSync(directory).sort()).toEqual([SEGMENT_1, "edge-kv-store.json"]);
  });

  it("after the new segment was renamed in: the new segment is used and the sealed old one removed", async () => {
    const { directory, segment } = await threeKeys();
    appendFileSync(join(directory, SEGMENT_1), encodeSeal(2));
    const records = segment.subarray(16, 16 + 100); // a and b only: the new segment is what counts
    writeFileSync(join(directory, "data-0000000000000002.log"), Buffer.concat([encodeSegmentHeader(2), records]));
    const driver = new FileSystemDriver({ directory });
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["a", "b"]);
    await writeRecord(driver, "d", record("D"), null);
    await driver.close();
    expect(readdirSync(directory).sort()).toEqual(["data-0000000000000002.log", "edge-kv-store.json"]);
  });
});

describe("several drivers on one folder (as separate processes see it)", () => {
  it("see each other's writes, deletes and clears on their next operation", async () => {
    const directory = tempFolder();
    const one = new FileSystemDriver({ directory, durability: "relaxed" });
    const two = new FileSystemDriver({ directory, durability: "relaxed" });
    await writeRecord(one, "k", record("from one", { generation: 5 }), null);
    expect(text((await two.read("k"))!.value)).toBe("from one");
    expect(await writeRecord(two, "k", record("stale", { generation: 6 }), 4)).toBe(false);
    expect(await writeRecord(two, "k", record("from two", { generation: 6 }), 5)).toBe(true);
    expect(await writeRecord(one, "k", record("lost update", { generation: 6 }), 5)).toBe(false);
    expect(text((await one.read("k"))!.value)).toBe("from two");
    expect(await deleteRecord(one, "k", 6)).toBe(true);
    expect(await two.scan({ limit: 10 })).toEqual([]);
    await writeRecord(two, "x", record("x"), null);
    await one.clear();
    expect(await two.read("x")).toBeNull();
    await one.close();
    await two.close();
  });

  it("start over on an empty store after another driver destroys the folder", async () => {
    const directory = tempFolder();
    const one = new FileSystemDriver({ directory, durability: "relaxed" });
    const two = new FileSystemDriver({ directory, durability: "relaxed" });
    await writeRecord(one, "k", record("v"), null);
    expect(text((await two.read("k"))!.value)).toBe("v");
    await one.destroy();
    expect(await two.read("k")).toBeNull();
    expect(await writeRecord(two, "k", record("again"), null)).toBe(true);
    expect(text((await one.read("k"))!.value)).toBe("again");
    await one.close();
    await two.close();
  });

  it("start over on an empty store when the folder is deleted by hand while open", async () => {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    await writeRecord(driver, "k", record("v"), null);
    await driver.close();
    expect(text((await driver.read("k"))!.value)).toBe("v");
    rmSync(directory, { recursive: true, force: true });
    expect(await writeRecord(driver, "fresh", record("new"), null)).toBe(true);
    expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["fresh"]);
    await driver.close();
    expect(readdirSync(directory).sort()).toEqual([SEGMENT_1, "edge-kv-store.json"]);
  });

  it("follow a compaction done by another driver", async () => {
    const directory = tempFolder();
    const writer = new FileSystemDriver({ directory, durability: "relaxed", compactAfterBytes: 0 });
    const reader = new FileSystemDriver({ directory, durability: "relaxed" });
    await writeRecord(writer, "keep", record("kept"), null);
    expect(text((await reader.read("keep"))!.value)).toBe("kept");
    for (let i = 0; i < 20; i++) await writeRecord(writer, "churn", record(`v${i}`, { generation: i + 1 }));
    expect(ownFiles(directory)).not.toContain(SEGMENT_1);
    expect(text((await reader.read("churn"))!.value)).toBe("v19");
    expect((await reader.scan({ limit: 10 })).map((item) => item.key)).toEqual(["churn", "keep"]);
    await writer.close();
    await reader.close();
  });
});

describe("compaction, expiry and clear", () => {
  const segmentSize = (directory: string) => {
    const segment = ownFiles(directory).find((name) => name.startsWith("data-"))!;
    return statSync(join(directory, segment)).size;
  };

  it("keeps the log bounded under overwrite churn", async () => {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory, durability: "relaxed", compactAfterBytes: 64 * 1024 });
    const value = "x".repeat(1000);
    for (let i = 0; i < 1000; i++) await writeRecord(driver, `k${i % 10}`, record(value, { generation: i + 1 }));
    // 10 live records of ~1 KiB; without compaction the log would hold ~1 MiB.
    expect(segmentSize(directory)).toBeLessThan(2 * 64 * 1024 + 20 * 1060);
    for (let i = 0; i < 10; i++) expect((await driver.read(`k${i}`))!.generation).toBe(991 + i);
    await driver.close();
  });

  it("keeps the folder bounded under TTL churn when expired entries are swept or read", async () => {
    const directory = tempFolder();
    const clock = new FakeClock();
    const registry = new KVRegistry({ clock });
    const admin = registry.defineStore("ttl", { driver: new FileSystemDriver({ directory, durability: "relaxed", compactAfterBytes: 64 * 1024 }) });
    const value = "v".repeat(500);
    let swept = 0;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 50; i++) await admin.put(`session-${round}-${i}`, value, { ttl: 60 });
      clock.advanceSeconds(61);
      if (round % 2 === 0) swept += await admin.sweepExpired();
      else for (let i = 0; i < 50; i++) expect(await admin.inspect(`session-${round}-${i}`)).toBeNull(); // lazy removal
    }
    expect(swept).toBe(10 * 50); // the odd rounds' entries were removed by the reads that found them expired
    const driver = registry.store("ttl").core.driver as FileSystemDriver;
    await driver.scan({ limit: 1 }); // queued after the lazy removals the last reads started
    expect(driver.size).toBe(0);
    // 1000 entries of ~550 bytes were written (~550 KB); the log stays near the compaction threshold.
    expect(segmentSize(directory)).toBeLessThan(3 * 64 * 1024);
    await registry.reset();
  });

  it("clear empties the log file itself", async () => {
    const directory = tempFolder();
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    for (let i = 0; i < 100; i++) await writeRecord(driver, `k${i}`, record("value"), null);
    await driver.clear();
    expect(segmentSize(directory)).toBe(16);
    await driver.close();
    expect(readdirSync(directory).sort()).toEqual(["data-0000000000000002.log", "edge-kv-store.json"]);
  });

  it("destroy removes the folder; using the driver again starts an empty store", async () => {
    const parent = tempFolder();
    const directory = join(parent, "store");
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    await writeRecord(driver, "k", record("v"), null);
    await driver.destroy();
    expect(readdirSync(parent)).toEqual([]);
    expect(await driver.read("k")).toBeNull();
    await driver.close();
  });
});

describe("the folder lock", () => {
  function plantLock(directory: string, owner: Record<string, unknown>): void {
    mkdirSync(join(directory, "lock"));
    writeFileSync(join(directory, "lock", String(owner.token)), JSON.stringify(owner));
  }
  const procStart = () => readFileSync("/proc/self/stat", "latin1").split(") ")[1]!.split(" ")[19]!;

  it("breaks at once the lock of a process on this host that no longer exists", async () => {
    const directory = tempFolder();
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    plantLock(directory, { pid: Number(gone.stdout), host: hostname(), procStart: null, token: "dead-owner", since: 0 });
    const lock = new FolderLock(directory, { staleMs: 3_600_000, timeoutMs: 10_000 });
    await lock.acquire();
    expect(lock.lastBreak?.reason).toBe("owner-dead");
    await lock.dispose();
  });

  it("breaks at once a lock whose pid now belongs to a process started at another time (Linux)", async () => {
    const directory = tempFolder();
    plantLock(directory, { pid: process.pid, host: hostname(), procStart: "1", token: "reused-pid", since: 0 });
    const lock = new FolderLock(directory, { staleMs: 3_600_000, timeoutMs: 10_000 });
    await lock.acquire();
    expect(lock.lastBreak?.reason).toBe("pid-reused");
    await lock.dispose();
  });

  it("breaks a lock held by another host only after staleMs", async () => {
    const directory = tempFolder();
    plantLock(directory, { pid: 1, host: "another-host.invalid", procStart: null, token: "remote", since: 0 });
    const lock = new FolderLock(directory, { staleMs: 100, timeoutMs: 10_000 });
    await lock.acquire();
    expect(lock.lastBreak?.reason).toBe("stale");
    await lock.dispose();
  });

  it("waits for a live owner and then fails naming it", async () => {
    const directory = tempFolder();
    plantLock(directory, { pid: process.pid, host: hostname(), procStart: procStart(), token: "alive", since: 0 });
    const lock = new FolderLock(directory, { staleMs: 0, timeoutMs: 200 });
    await expect(lock.acquire()).rejects.toThrow(
      new EdgeKvError(
        `store folder '${directory}' stayed locked by process ${process.pid} on host '${hostname()}' for more than 200 ms (lockTimeoutMs). ` +
          `If that process is stuck, stop it; if it no longer exists, delete the folder '${join(directory, "lock")}'.`,
      ),
    );
    expect(lock.lastBreak).toBeNull();
    await lock.dispose();
  });

  it("lets exactly one of many lock objects hold the lock at a time", async () => {
    const directory = tempFolder();
    const locks = Array.from({ length: 6 }, () => new FolderLock(directory, { staleMs: 3_600_000, timeoutMs: 10_000 }));
    let inside = 0;
    let most = 0;
    await Promise.all(
      locks.map(async (lock) => {
        for (let i = 0; i < 10; i++) {
          await lock.acquire();
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setImmediate(resolve));
          inside--;
          await lock.release();
        }
      }),
    );
    expect(most).toBe(1);
    for (const lock of locks) await lock.dispose();
  });
});
