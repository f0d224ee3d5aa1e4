/**
 * edge-kv/node: the Node-only pieces — the filesystem driver and the fastly.toml loader.
 */
export { FileSystemDriver, StoreCorruptedError } from "./fs-driver.js";
export type { Durability, FileSystemDriverOptions } from "./fs-driver.js";
export { fileSystemStores, storeFolderName } from "./fs-stores.js";
// includeBytes' reader over a project folder: setIncludeBytesReader(projectFiles(root)!) from edge-kv.
export { projectFiles } from "../compute/project-files.js";
export type { FileSystemStoresOptions } from "./fs-stores.js";
export {
  loadFastlyToml,
  readFastlyKvStores,
  readFastlyToml,
  // issue 12's name for readFastlyToml (it reads every section: KV, config and secret stores)
  readFastlyToml as readFastlyService,
  viceroyKeyError,
  CONFIG_STORE_SECTIONS,
  KV_STORE_SECTIONS,
  SECRET_STORE_SECTIONS,
} from "./fastly-toml.js";
export type {
  FastlyKvEntry,
  FastlyToml,
  FastlyToml as FastlyService,
  LoadFastlyTomlOptions,
  ReadFastlyTomlOptions,
  ReadFastlyTomlOptions as ReadFastlyServiceOptions,
} from "./fastly-toml.js";
