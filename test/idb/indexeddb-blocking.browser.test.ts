/**
 * Blocked deletions and version changes in real Chromium (fake-indexeddb is checked in
 * indexeddb-driver.test.ts): clear errors after timeoutMs, never a hang.
 */
import { afterEach, describe, expect, it } from "vitest";
import { EdgeKvError, IndexedDBDriver, type StoredRecord } from "edge-kv";
import { writeRecord } from "../contract/plans.js";

const record = (value: string): StoredRecord => ({
  value: new TextEncoder().encode(value),
  metadata: null,
  generation: 1,
  expiresAt: null,
  lastModified: 1_700_000_000_000,
  contentType: null,
});
const run = Date.now().toString(36);
let counter = 0;
const unique = (name: string) => `edge-kv-${name}-${run}-${++counter}`;
const cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0)) await step();
});

/** A connection from code that does not use edge-kv: it ignores versionchange and stays open. */
function rawOpen(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}

describe("blocked databases in Chromium", () => {
  it("rejects a deletion blocked by a tab that keeps the database open, after timeoutMs, then deletes once it closes", async () => {
    const databaseName = unique("blocked");
    const driver = new IndexedDBDriver({ storeName: "blocked", databaseName, timeoutMs: 200 });
    await writeRecord(driver, "k", record("v"), null);
    const otherTab = await rawOpen(databaseName);
    cleanup.push(() => otherTab.close());
    const error = await rejection(driver.destroy());
    expect(error).toBeInstanceOf(EdgeKvError);
    expect(error.message).toBe(
      `edge-kv: IndexedDB database '${databaseName}' was not deleted within 200 ms: another connection to it (another tab or window of this site) is still open and did not close. ` +
        "The deletion stays queued and happens once that connection closes. Close the other tabs using this database and retry, or raise the timeoutMs option of IndexedDBDriver.",
    );
    otherTab.close();
    // The next open waits for the queued deletion, so it finds an empty database.
    const after = new IndexedDBDriver({ storeName: "blocked", databaseName });
    cleanup.push(() => after.destroy());
    expect(await after.read("k")).toBeNull();
  });

  it("closes its connection when another tab deletes the database, then works on the new, empty one", async () => {
    const databaseName = unique("versionchange");
    const tabA = new IndexedDBDriver({ storeName: "shared", databaseName });
    const tabB = new IndexedDBDriver({ storeName: "shared", databaseName, timeoutMs: 2000 });
    cleanup.push(() => tabA.destroy());
    await writeRecord(tabA, "k", record("v"), null);
    await tabB.destroy();
    expect(await tabA.read("k")).toBeNull();
    expect(await writeRecord(tabA, "k", record("again"), null)).toBe(true);
  });
});
