import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { IndexedDBDriver, MemoryDriver } from "edge-kv";
import { badInputTests } from "./bad-input.js";

badInputTests("memory", () => ({ driver: new MemoryDriver() }), { inputs: 400 });

const indexedDB = new IDBFactory();
let databases = 0;
badInputTests(
  "indexeddb",
  () => {
    const driver = new IndexedDBDriver({ storeName: "bad-input", databaseName: `bad-input-${++databases}`, indexedDB, IDBKeyRange });
    return { driver, cleanup: () => driver.destroy() };
  },
  { inputs: 150 },
);
