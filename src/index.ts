/**
 * edge-kv core entry: web-standard APIs only (runs in Node 20+, browsers, workerd and other edge
 * runtimes). Node-only pieces (filesystem driver, fastly.toml loader, REST server) live in `edge-kv/node`.
 */
export { KVStore } from "./kv-store.js";
export type { KVStoreConstructor, KVStoreListOptions, KVStoreListResult, KVStorePutOptions, KVStoreValue } from "./kv-store.js";
export { KVStoreEntry } from "./entry.js";
export type { KVStoreEntryConstructor } from "./entry.js";

export { KVRegistry, defineStore, getRegistry, resetRegistry, setRegistry } from "./registry.js";
export type { RegistryOptions, StoreOptions } from "./registry.js";
export { StoreAdmin, decodeCursor, encodeCursor } from "./admin.js";
export type { AdminPutOptions, Bytes, KeyInfo, RecordView, SeedData, StoreStats } from "./admin.js";
export { StoreCore, LimitExceededError, INSERT_MODES } from "./core.js";
export type { InsertMode, Operation, OperationHook, Profile, ReadView, WriteInput } from "./core.js";

export { setOperationContextProvider } from "./observer.js";
export type { OperationContextProvider, OperationEvent, OperationListener } from "./observer.js";

export { FakeClock, systemClock } from "./clock.js";
export type { Clock } from "./clock.js";
export { EdgeKvError, KVError } from "./errors.js";
export { KVLimits } from "./limits.js";
export { Messages, KVErrorDetails } from "./messages.js";
export type { KVErrorCode } from "./messages.js";
export { keyError, storeNameError } from "./rules.js";
export { compareUtf8 } from "./utf8.js";

export { MemoryDriver } from "./drivers/memory.js";
export type {
  DeletePlan,
  DeleteResult,
  DriverSnapshot,
  GenerationRequirement,
  KVDriver,
  MaybePromise,
  ScanItem,
  ScanRange,
  StoredRecord,
  WritePlan,
  WriteResult,
} from "./drivers/driver.js";
export { decideDelete, decideWrite, isLiveAt } from "./drivers/plan.js";
export type { CurrentRecord } from "./drivers/plan.js";

export { IndexedDBDriver, indexedDBStores } from "./drivers/indexeddb.js";
export type { IndexedDBDriverOptions, IndexedDBStoresOptions } from "./drivers/indexeddb.js";
