import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { IndexedDBDriver } from "edge-kv";
import { describeTwoConnections } from "./two-connections.js";

const indexedDB = new IDBFactory();
describeTwoConnections("fake-indexeddb", (databaseName) => new IndexedDBDriver({ storeName: "race", databaseName, indexedDB, IDBKeyRange }));
