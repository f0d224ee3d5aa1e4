import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { IndexedDBDriver, type KVDriver } from "edge-kv";
import { describeDriverContract } from "../contract/driver-contract.js";

// One fake IndexedDB for this file; every driver gets its own database, deleted after its test.
const indexedDB = new IDBFactory();
let counter = 0;
const open = (databaseName: string) => new IndexedDBDriver({ storeName: "contract", databaseName, indexedDB, IDBKeyRange });

describeDriverContract("indexeddb (fake-indexeddb)", () => open(`contract-${++counter}`), {
  reopen: (driver: KVDriver) => open((driver as IndexedDBDriver).databaseName),
  cleanup: (driver: KVDriver) => driver.destroy!(),
});
