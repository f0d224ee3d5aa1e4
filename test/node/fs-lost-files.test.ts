/**
 * The filesystem driver never serves a write it reported as failed, and notices when its log file or
 * whole folder is deleted while it is open (instead of writing on into a file no one else can see).
 */
import { readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { EdgeKvError, type StoredRecord } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { writeRecord } from "../contract/plans.js";
import { LogFile } from "../../src/node/fs-file.js";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);
afterEach(() => vi.restoreAllMocks());

const record = (text: string, generation: number): StoredRecord => ({
  value: new TextEncoder().encode(text),
  metadata: null,
  generation,
  expiresAt: null,
  lastModified: 1,
  contentType: null,
});
const text = (stored: StoredRecord | null) => (stored === null ? null : new TextDecoder().decode(stored.value));
const keys = async (driver: FileSystemDriver) => (await driver.scan({ limit: 100 })).map((item) => item.key);
const segment = (directory: string) => join(directory, readdirSync(directory).find((name) => name.startsWith("data-"))!);

describe("a failed write is never served", () => {
  it("rolls the log back when the flush after an append fails: the old value stays, here and in a new process", async () => {
    const directory = join(tempFolder(), "store");
    const driver = await FileSystemDriver.open({ directory, durability: "durable" });
    await writeRecord(driver, "a", record("old", 1), null);
    vi.spyOn(LogFile.prototype, "datasync").mockRejectedValueOnce(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));
    await expect(writeRecord(driver, "a", record("new", 2), 1)).rejects.toBeInstanceOf(EdgeKvError);
    expect(text(await driver.read("a"))).toBe("old");
    expect(await writeRecord(driver, "b", record("after", 1), null)).toBe(true);
    await driver.close();
    const reopened = await FileSystemDriver.open({ directory, durability: "durable" });
    expect(text(await reopened.read("a"))).toBe("old");
    expect(text(await reopened.read("b"))).toBe("after");
    await reopened.close();
  });
});

describe("files deleted under an open driver", () => {
  it("notices its log file was deleted: stops serving it, and shares the new state with other processes", async () => {
    const directory = join(tempFolder(), "store");
    const first = await FileSystemDriver.open({ directory, durability: "relaxed" });
    await writeRecord(first, "a", record("old", 1), null);
    unlinkSync(segment(directory));
    expect(await first.read("a")).toBeNull();
    expect(await writeRecord(first, "b", record("new", 1), null)).toBe(true);
    const second = await FileSystemDriver.open({ directory, durability: "relaxed" });
    expect(await keys(second)).toEqual(["b"]);
    await writeRecord(second, "c", record("from second", 1), null);
    expect(await keys(first)).toEqual(["b", "c"]);
    await first.close();
    await second.close();
  });

  it("notices its whole folder was deleted: starts over on an empty store that other processes see too", async () => {
    const directory = join(tempFolder(), "store");
    const first = await FileSystemDriver.open({ directory, durability: "relaxed" });
    await writeRecord(first, "a", record("old", 1), null);
    rmSync(directory, { recursive: true, force: true });
    expect(await first.read("a")).toBeNull();
    expect(await writeRecord(first, "b", record("new", 1), null)).toBe(true);
    const second = await FileSystemDriver.open({ directory, durability: "relaxed" });
    expect(await keys(second)).toEqual(["b"]);
    await first.close();
    await second.close();
  });
});
