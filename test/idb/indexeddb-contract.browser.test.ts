import { expect, it } from "vitest";
import { IndexedDBDriver, type KVDriver } from "edge-kv";
import { describeDriverContract } from "../contract/driver-contract.js";

// Real Chromium IndexedDB (globalThis.indexedDB). Each driver gets its own database, deleted after its test.
const run = Date.now().toString(36);
let counter = 0;
const open = (databaseName: string) => new IndexedDBDriver({ storeName: "contract", databaseName });

it("runs in real Chromium with its native IndexedDB", () => {
  expect(navigator.userAgent).toMatch(/Chrome\//);
  expect(String(indexedDB)).toBe("[object IDBFactory]");
});

describeDriverContract("indexeddb (Chromium)", () => open(`edge-kv-contract-${run}-${++counter}`), {
  reopen: (driver: KVDriver) => open((driver as IndexedDBDriver).databaseName),
  cleanup: (driver: KVDriver) => driver.destroy!(),
});
