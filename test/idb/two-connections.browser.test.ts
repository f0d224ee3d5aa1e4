import { IndexedDBDriver } from "edge-kv";
import { describeTwoConnections } from "./two-connections.js";

describeTwoConnections("Chromium", (databaseName) => new IndexedDBDriver({ storeName: "race", databaseName }));
