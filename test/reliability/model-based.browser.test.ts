import { IndexedDBDriver } from "edge-kv";
import { describe } from "vitest";
import { modelBasedTests } from "./model-run.js";

// Real Chromium IndexedDB: each sequence gets its own database, deleted afterwards.
const run = Date.now().toString(36);
let databases = 0;

describe("model-based: IndexedDB driver in Chromium through KVStore and the admin API", () => {
  modelBasedTests(
    "indexeddb (Chromium)",
    () => {
      const databaseName = `edge-kv-model-${run}-${++databases}`;
      const open = () => new IndexedDBDriver({ storeName: "reliability", databaseName });
      let driver = open();
      return { driver, reopen: () => (driver = open()), cleanup: () => driver.destroy() };
    },
    { sequences: 25, maxCommands: 30, reopen: true },
  );
});
