/**
 * The stores a command serves (`edge-kv serve`, `edge-kv dev`): a registry in memory or on a data
 * folder (filesystem driver, one folder per store), the stores of a fastly.toml (re-seeded on every
 * start, as Viceroy does; other keys in a data folder stay), and the stores already in the folder.
 */
import { join } from "node:path";
import type { KVDriver } from "../drivers/driver.js";
import { fileSystemStores, loadFastlyToml } from "../node/index.js";
import { KVRegistry, setRegistry } from "../registry.js";
import { StoreCatalog } from "../server/catalog.js";
import { storesInFolder } from "./data-folder.js";

export const STATE_FILE_NAME = ".edge-kv-server.json";

export interface StoreSetup {
  /** Keep stores in this folder (absolute path); default: in memory. */
  data: string | undefined;
  /** Define and seed the stores of this fastly.toml (absolute path). */
  fastlyToml: string | undefined;
  /** Define these (empty) stores too. */
  stores: string[];
}

export interface OpenedStores {
  /** The registry, made the active one. */
  registry: KVRegistry;
  /** The REST server's state file (store ids, REST-created stores), with a data folder. */
  stateFile: string | undefined;
  createDriver: ((storeName: string) => KVDriver) | undefined;
}

/** Builds the registry `setup` describes and makes it the active one. */
export async function openStores(setup: StoreSetup): Promise<OpenedStores> {
  const createDriver = setup.data === undefined ? undefined : fileSystemStores(setup.data);
  const registry = new KVRegistry(createDriver ? { createDriver } : {});
  setRegistry(registry);
  const stateFile = setup.data === undefined ? undefined : join(setup.data, STATE_FILE_NAME);
  if (setup.fastlyToml !== undefined) await loadFastlyToml(setup.fastlyToml, { registry });
  for (const name of setup.stores) if (!registry.hasStore(name)) registry.defineStore(name);
  if (setup.data !== undefined) {
    // Load the state file first, so renamed stores re-open their data and keep their ids.
    const catalog = new StoreCatalog(registry, { stateFile, restStoreOptions: {}, createDriver });
    const retired = catalog.dataNamesInUse();
    for (const name of storesInFolder(setup.data)) if (!registry.hasStore(name) && !retired.has(name)) registry.defineStore(name);
  }
  return { registry, stateFile, createDriver };
}
