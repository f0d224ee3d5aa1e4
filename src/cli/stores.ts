/**
 * The stores `edge-kv dev` serves an app on: a registry in memory or on a data folder (filesystem
 * driver, one folder per store, the layout of `edge-kv serve --data`), the KV, config and secret stores
 * of a fastly.toml (re-seeded on every start, as Viceroy does; other keys in a data folder stay), and
 * the stores already in the folder.
 */
import { join } from "node:path";
import type { KVDriver } from "../drivers/driver.js";
import { defineFastlyStores, readFastlyToml } from "../node/fastly-toml.js";
import type { FastlyGeolocation } from "../node/fastly-toml-geolocation.js";
import { fileSystemStores } from "../node/index.js";
import { KVRegistry, setRegistry } from "../registry.js";
import { StoreCatalog } from "../server/catalog.js";
import { storesInFolder } from "./data-folder.js";
import { STATE_FILE_NAME } from "./serve.js";

export interface StoreSetup {
  /** Keep stores in this folder (absolute path); default: in memory. */
  data: string | undefined;
  /** Define and seed the stores of this fastly.toml (absolute path). */
  fastlyToml: string | undefined;
  /** Metadata limit of the KV stores (default 1000 bytes, Compute's). */
  maxMetadataBytes: number | undefined;
  /** The option that raises the metadata limit, for the error message: `--max-metadata-bytes` of the command. */
  raise: (bytes: number) => string;
}

export interface OpenedStores {
  /** The registry, made the active one. */
  registry: KVRegistry;
  /** The REST server's state file (store ids, REST-created stores), with a data folder. */
  stateFile: string | undefined;
  createDriver: ((storeName: string) => KVDriver) | undefined;
  /** Which stores came from where, for the start-up lines. */
  notes: string[];
  /** fastly.toml keys edge-kv does not know (the nearest valid one named). */
  warnings: string[];
  /** fastly.toml's [local_server.geolocation], if any. */
  geolocation: FastlyGeolocation | undefined;
}

/** Builds the registry `setup` describes and makes it the active one. */
export async function openStores(setup: StoreSetup): Promise<OpenedStores> {
  const createDriver = setup.data === undefined ? undefined : fileSystemStores(setup.data);
  const registry = new KVRegistry({ ...(createDriver && { createDriver }), ...(setup.maxMetadataBytes !== undefined && { maxMetadataBytes: setup.maxMetadataBytes }) });
  setRegistry(registry);
  const stateFile = setup.data === undefined ? undefined : join(setup.data, STATE_FILE_NAME);
  const notes: string[] = [];
  const warnings: string[] = [];
  let geolocation: FastlyGeolocation | undefined;
  if (setup.fastlyToml !== undefined) {
    const toml = await readFastlyToml(setup.fastlyToml);
    geolocation = toml.geolocation;
    warnings.push(...toml.warnings);
    await defineFastlyStores(toml, { registry, existing: "fail", seed: "overwrite", raise: setup.raise });
    for (const [kind, names] of [["KV stores", [...toml.kvStores.keys()]], ["config stores", [...toml.configStores.keys()]], ["secret stores", [...toml.secretStores.keys()]]] as const) {
      if (names.length > 0) notes.push(`${kind} from fastly.toml: ${names.join(", ")}`);
    }
    if (geolocation !== undefined) {
      const count = Object.keys(geolocation.addresses).length;
      const where = geolocation.file === undefined ? "" : ` (${geolocation.file}, read again at every lookup)`;
      notes.push(`geolocation from fastly.toml: ${count} address${count === 1 ? "" : "es"}${where}${geolocation.useDefaultLoopback ? "" : "; no default record for loopback clients"}`);
    }
  }
  if (setup.data !== undefined) {
    // Load the state file first, so renamed stores re-open their data and keep their ids.
    const catalog = new StoreCatalog(registry, { stateFile, restStoreOptions: {}, createDriver });
    const retired = catalog.dataNamesInUse();
    const found = storesInFolder(setup.data).filter((name) => !registry.hasStore(name) && !retired.has(name));
    for (const name of found) registry.defineStore(name);
    if (found.length > 0) notes.push(`stores found in ${setup.data}: ${found.join(", ")}`);
  }
  return { registry, stateFile, createDriver, notes, warnings, geolocation };
}
