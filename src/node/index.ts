/**
 * edge-kv/node: the Node-only pieces — the filesystem driver and the fastly.toml loader.
 */
export { FileSystemDriver, StoreCorruptedError, fileSystemStores, storeFolderName } from "./fs-driver.js";
export type { Durability, FileSystemDriverOptions, FileSystemStoresOptions } from "./fs-driver.js";
export { loadFastlyToml, readFastlyKvStores, viceroyKeyError, KV_STORE_SECTIONS } from "./fastly-toml.js";
export type { FastlyKvEntry, LoadFastlyTomlOptions } from "./fastly-toml.js";
