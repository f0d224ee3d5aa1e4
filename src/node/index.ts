/**
 * edge-kv/node: the Node-only pieces — the filesystem driver and the fastly.toml loader.
 */
export { FileSystemDriver, StoreCorruptedError } from "./fs-driver.js";
export type { Durability, FileSystemDriverOptions } from "./fs-driver.js";
export { fileSystemStores, storeFolderName } from "./fs-stores.js";
export type { FileSystemStoresOptions } from "./fs-stores.js";
export { loadFastlyToml, readFastlyKvStores, viceroyKeyError, KV_STORE_SECTIONS } from "./fastly-toml.js";
export type { FastlyKvEntry, LoadFastlyTomlOptions } from "./fastly-toml.js";
export { readFastlyService } from "./fastly-toml-service.js";
export type { FastlyService, ReadFastlyServiceOptions } from "./fastly-toml-service.js";
export { CONFIG_STORE_SECTIONS } from "./fastly-toml-config-stores.js";
export { SECRET_STORE_SECTIONS } from "./fastly-toml-secret-stores.js";
