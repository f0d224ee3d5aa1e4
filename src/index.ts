/**
 * edge-kv core entry: web-standard APIs only (runs in Node 20+, browsers, workerd and other edge
 * runtimes). Node-only pieces (filesystem driver, fastly.toml loader, REST server) live in `edge-kv/node`.
 */
export { KVStore } from "./kv-store.js";
export type { KVStoreConstructor, KVStoreListOptions, KVStoreListResult, KVStorePutOptions, KVStoreValue } from "./kv-store.js";
export { KVStoreEntry } from "./entry.js";
export type { KVStoreEntryConstructor } from "./entry.js";

export { KVRegistry, defineStore, getRegistry, isRegistry, resetRegistry, setRegistry, REGISTRY_PROTOCOL } from "./registry.js";
export type { DefineOptions, RegistryOptions, StoreOptions } from "./registry.js";

// The other Compute store modules and their storage (fastly:config-store, fastly:dictionary, fastly:secret-store, fastly:env).
export { ConfigStore, Dictionary } from "./compute/config-store.js";
export type { ConfigStoreConstructor, DictionaryConstructor } from "./compute/config-store.js";
export { SecretStore, SecretStoreEntry } from "./compute/secret-store.js";
export type { SecretStoreConstructor, SecretStoreEntryConstructor } from "./compute/secret-store.js";
export { env, fastly } from "./compute/env.js";
export type { FastlyGlobal } from "./compute/env.js";
export { ComputeEnv, ConfigStoreAdmin, ConfigStoreLimits, SecretStoreAdmin, VICEROY_ENV } from "./compute/resources.js";
export { computeContext, isInitializing, setComputeContextProvider } from "./compute/context.js";
// fastly:experimental's includeBytes reads project files through a reader (edge-kv/node's projectFiles(root)).
export { includeBytesReader, setIncludeBytesReader } from "./compute/experimental.js";
export type { IncludeBytesReader, IncludeBytesResult } from "./compute/experimental.js";
export type { ComputeContext, ComputeContextProvider, ComputePhase } from "./compute/context.js";
export { ComputeMessages } from "./compute/messages.js";
export { trackBodyStreams } from "./compute/bodies.js";
export { configStoreKeyError, configStoreNameError, secretKeyError, secretStoreNameError } from "./compute/rules.js";
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
export type { IDBFactoryLike, IDBKeyRangeLike, IndexedDBDriverOptions, IndexedDBStoresOptions } from "./drivers/indexeddb.js";
