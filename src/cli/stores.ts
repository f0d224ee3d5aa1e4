/**
 * The stores `edge-kv dev` serves an app on: a registry in memory, on a data folder (filesystem
 * driver, one folder per store, the layout of `edge-kv serve --data`) or in Redis (every store, the
 * app's included, shared with every process on that server, as with `edge-kv serve --redis`), the KV,
 * config and secret stores of a fastly.toml (re-seeded on every start, as Viceroy does; other keys in a
 * data folder or in Redis stay), and the stores already in the folder or in Redis.
 */
import { join } from "node:path";
import type { KVDriver } from "../drivers/driver.js";
import { defineFastlyStores, readFastlyToml } from "../node/fastly-toml.js";
import type { FastlyGeolocation } from "../node/fastly-toml-geolocation.js";
import { fileSystemStores } from "../node/index.js";
import { KVRegistry, setRegistry } from "../registry.js";
import { StoreCatalog } from "../server/catalog.js";
import type { RestServerOptions } from "../server/index.js";
import { storesInFolder } from "./data-folder.js";
import { openRedisRegistry } from "./redis-registry.js";
import { STATE_FILE_NAME } from "./serve.js";

export interface StoreSetup {
  /** Keep stores in this folder (absolute path); default: in memory. */
  data: string | undefined;
  /** Keep stores in this Redis (URL, credentials included: never printed); excludes `data`. */
  redis?: string | undefined;
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
  /** What the REST handler (/_edge-kv/api/) needs beyond these: with Redis, ids by name and following other processes' stores. */
  rest: Pick<RestServerOptions, "storeIds" | "syncStores">;
  /** Resets the registry (closing the stores) and closes the Redis connection, if any. */
  close(): Promise<void>;
  /** Which stores came from where, for the start-up lines. */
  notes: string[];
  /** fastly.toml keys edge-kv does not know (the nearest valid one named). */
  warnings: string[];
  /** fastly.toml's [local_server.geolocation], if any. */
  geolocation: FastlyGeolocation | undefined;
}

/** Builds the registry `setup` describes and makes it the active one. */
export async function openStores(setup: StoreSetup): Promise<OpenedStores> {
  const limit = setup.maxMetadataBytes !== undefined ? { maxMetadataBytes: setup.maxMetadataBytes } : {};
  const redis = setup.redis === undefined ? undefined : await openRedisRegistry(setup.redis, limit);
  const createDriver = redis?.createDriver ?? (setup.data === undefined ? undefined : fileSystemStores(setup.data));
  const registry = redis?.registry ?? new KVRegistry({ ...(createDriver && { createDriver }), ...limit });
  if (redis === undefined) setRegistry(registry);
  const close = redis?.close ?? (() => registry.reset());
  const stateFile = setup.data === undefined ? undefined : join(setup.data, STATE_FILE_NAME);
  const notes: string[] = [];
  const warnings: string[] = [];
  let geolocation: FastlyGeolocation | undefined;
  try {
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
  } catch (error) {
    await close();
    throw error;
  }
  if (redis !== undefined) {
    const found = redis.defineFound();
    if (found.length > 0) notes.push(`stores found in Redis: ${found.join(", ")}`);
  }
  if (setup.data !== undefined) {
    // Load the state file first, so renamed stores re-open their data and keep their ids.
    const catalog = new StoreCatalog(registry, { stateFile, restStoreOptions: {}, createDriver });
    const retired = catalog.dataNamesInUse();
    const found = storesInFolder(setup.data).filter((name) => !registry.hasStore(name) && !retired.has(name));
    for (const name of found) registry.defineStore(name);
    if (found.length > 0) notes.push(`stores found in ${setup.data}: ${found.join(", ")}`);
  }
  const rest: OpenedStores["rest"] = redis === undefined ? {} : { storeIds: "by-name", syncStores: () => redis.syncStores() };
  return { registry, stateFile, createDriver, rest, close, notes, warnings, geolocation };
}
