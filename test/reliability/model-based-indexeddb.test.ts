import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { IndexedDBDriver } from "edge-kv";
import { describe } from "vitest";
import { modelBasedTests } from "./model-run.js";

// One fake IndexedDB; each sequence gets its own database, deleted afterwards.
const indexedDB = new IDBFactory();
let databases = 0;

describe("model-based: IndexedDB driver (fake-indexeddb) through KVStore and the admin API", () => {
  modelBasedTests(
    "indexeddb",
    () => {
      const databaseName = `model-${++databases}`;
      const open = () => new IndexedDBDriver({ storeName: "reliability", databaseName, indexedDB, IDBKeyRange });
      let driver = open();
      return {
        driver,
        reopen: () => (driver = open()),
        cleanup: () => driver.destroy(),
      };
    },
    { sequences: 40, maxCommands: 40, reopen: true },
  );
  // Two connections open on one database at once (two tabs), the sequence hopping between them.
  modelBasedTests(
    "indexeddb, two connections",
    () => {
      const databaseName = `model-${++databases}`;
      const open = () => new IndexedDBDriver({ storeName: "reliability", databaseName, indexedDB, IDBKeyRange });
      const driver = open();
      return { driver, twin: open, cleanup: () => driver.destroy() };
    },
    { sequences: 30, maxCommands: 40, twin: true },
  );
});
