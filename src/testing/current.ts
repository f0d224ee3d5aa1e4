/**
 * The TestKv that a plugin (edge-kv/vite's setup, edge-kv/register, the esbuild plugin) built from its
 * options. Kept on globalThis under a registered symbol so every copy of edge-kv in one process
 * agrees on it.
 */
import type { Clock } from "../clock.js";
import type { SeedData } from "../admin.js";
import type { Profile } from "../core.js";
import type { KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { setDefaultGeolocation, type GeolocationOptions } from "../host/geolocation.js";
import type { ConsistencyOptions } from "./controller.js";
import { TestKv } from "./test-kv.js";

/** A store as plugin options describe it, after the plugin has read files (all data, serializable). */
export interface ConfiguredStore {
  seed?: SeedData;
  /** "memory" (default), a folder for the filesystem driver, or a Redis server (both Node only). */
  driver?: "memory" | ConfiguredDriver;
  profile?: Profile;
  maxMetadataBytes?: number;
  consistency?: ConsistencyOptions;
}

/** Where a store that is not in memory lives: a folder (filesystem driver) or a Redis server (edge-kv/redis). */
export type ConfiguredDriver = { directory: string } | { redis: string; prefix?: string };

export interface ConfiguredKv {
  stores: Record<string, ConfiguredStore>;
  /** "fake" (default): a FakeClock at `start`; "system": the real clock. */
  clock?: "fake" | "system";
  start?: number;
  profile?: Profile;
  /** Config stores: name → { key: value }. */
  configStores?: Record<string, Record<string, string>>;
  /** Secret stores: name → { secret: bytes or string }. */
  secretStores?: Record<string, Record<string, Uint8Array | string>>;
  /** fastly:env values over Viceroy's defaults. */
  env?: Record<string, string>;
  /** fastly.toml's [local_server.geolocation]: what loadApp gives event.client.geo by default. */
  geolocation?: GeolocationOptions;
  /** Install the Compute globals (KVStore, ConfigStore, SecretStore...). Default true. */
  globals?: boolean;
  /** Large byte values kept out of generated source: a file the runtime reads back (see shim/blobs.ts). */
  blob?: { path: string; url: string; bytes: number };
  /** Where the stores came from (fastly.toml path or "edgeKv({ stores })"), for messages. */
  source?: string;
}

const CURRENT = Symbol.for("edge-kv.testing.current");
type Holder = { [CURRENT]?: TestKv };

/** Builds the TestKv for a plugin configuration, makes it current and active. */
export function configureTestKv(config: ConfiguredKv, createDriver?: (store: string, driver: ConfiguredDriver) => KVDriver, clock?: Clock): TestKv {
  const stores: Record<string, import("./test-kv.js").TestStoreDefinition> = {};
  for (const [name, store] of Object.entries(config.stores ?? {})) {
    let driver: KVDriver | undefined;
    if (store.driver !== undefined && store.driver !== "memory") {
      if (!createDriver) {
        const kind = "redis" in store.driver ? "Redis" : "directory";
        throw new EdgeKvError(`store '${name}' (${config.source ?? "plugin options"}) uses a ${kind} driver, which needs Node.js; use driver: "memory" here`);
      }
      driver = createDriver(name, store.driver);
    }
    stores[name] = { seed: store.seed, driver, profile: store.profile, maxMetadataBytes: store.maxMetadataBytes, consistency: store.consistency };
  }
  const kv = new TestKv({
    stores,
    clock: clock ?? (config.clock === "system" ? "system" : undefined),
    start: config.start,
    profile: config.profile,
    configStores: config.configStores,
    secretStores: config.secretStores,
    env: config.env,
  });
  (globalThis as Holder)[CURRENT] = kv;
  setDefaultGeolocation(config.geolocation);
  return kv;
}

/**
 * The TestKv that `edgeKv()` (Vitest), `edge-kv/register` or the esbuild plugin set up from
 * fastly.toml or inline stores: use it to read back, reset, advance the clock, inject faults.
 */
export function getTestKv(): TestKv {
  const kv = (globalThis as Holder)[CURRENT];
  if (!kv) {
    throw new EdgeKvError(
      "no stores were set up by a plugin in this process. Add edgeKv() to the plugins of vitest.config.ts (import { edgeKv } from \"edge-kv/vite\"), or make your own with createTestKv({ stores })",
    );
  }
  return kv;
}

/** Forgets the current TestKv (tests of the plugins use this). */
export function clearCurrentTestKv(): void {
  delete (globalThis as Holder)[CURRENT];
}
