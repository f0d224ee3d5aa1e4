/**
 * A registry whose stores live in Redis, for `edge-kv serve --redis` and `edge-kv dev --redis`: every
 * store defined in it (fastly.toml's, --store's, REST-created, the app's) is a store of that server,
 * shared by every process on it. Loads edge-kv/redis (and so the Redis client) only when used.
 */
import type { KVDriver } from "../drivers/driver.js";
import { KVRegistry, setRegistry, type RegistryOptions } from "../registry.js";

export interface RedisRegistry {
  /** The registry, made the active one. */
  registry: KVRegistry;
  createDriver: (storeName: string) => KVDriver;
  /** Defines the stores found in Redis at start (opened by any process) that the registry lacks; returns their names. */
  defineFound(): string[];
  /**
   * Follows stores created or removed by other processes: at most once a second it reads the store
   * names in Redis, defines the new ones and removes those gone. For the REST handler's `syncStores`.
   */
  syncStores(): Promise<void> | undefined;
  /** Resets the registry (closing its stores) and closes the connection. */
  close(): Promise<void>;
}

/** How often a registry looks for stores created or deleted by the other processes. */
const STORE_SYNC_MS = 1000;

/**
 * Connects to `url` (credentials never shown: errors name the server as redis://***@host:port) and
 * reads which stores exist there; rejects when the server cannot be reached or refuses the credentials.
 */
export async function openRedisRegistry(url: string, options: Omit<RegistryOptions, "createDriver"> = {}): Promise<RedisRegistry> {
  const { redisStores } = await import("../redis/index.js");
  const stores = redisStores(url);
  // A store defined here is listed in Redis at once, for the other processes.
  const createDriver = (name: string) => {
    const driver = stores(name);
    driver.ready().catch(() => undefined); // an unreachable server is reported by the store's operations
    return driver;
  };
  const registry = new KVRegistry({ ...options, createDriver });
  setRegistry(registry);
  const close = async () => {
    await registry.reset();
    await stores.close();
  };
  let seen: Set<string>;
  try {
    seen = new Set(await stores.storeNames());
  } catch (error) {
    await close();
    throw error;
  }
  const found = new Set(seen);
  let last = Date.now();
  let running: Promise<void> | undefined;
  return {
    registry,
    createDriver,
    defineFound() {
      const names = [...found].filter((name) => !registry.hasStore(name));
      for (const name of names) registry.defineStore(name);
      return names;
    },
    syncStores() {
      if (running !== undefined || Date.now() - last < STORE_SYNC_MS) return running;
      last = Date.now();
      running = (async () => {
        const now = new Set(await stores.storeNames());
        for (const name of now) if (!registry.hasStore(name)) registry.defineStore(name);
        for (const name of seen) if (!now.has(name) && registry.hasStore(name)) await registry.removeStore(name);
        seen = now;
      })()
        .catch(() => undefined) // Redis unreachable: the request itself reports it
        .finally(() => (running = undefined));
      return running;
    },
    close,
  };
}

/** Where a command's Redis URL came from; or that EDGE_KV_REDIS was set and another storage flag won. */
export type RedisSource = "--redis" | "EDGE_KV_REDIS" | "EDGE_KV_REDIS ignored";

/**
 * The Redis URL of `serve` or `dev`: `--redis`, else EDGE_KV_REDIS (as `--import edge-kv/register` reads
 * it: keeps the password out of the command line, which `ps` shows) unless another storage flag was given.
 */
export function chooseRedis(flag: string | undefined, otherStorage: boolean, env: Record<string, string | undefined>): { redis: string | undefined; redisFrom: RedisSource | undefined } {
  const fromEnv = env.EDGE_KV_REDIS === "" ? undefined : env.EDGE_KV_REDIS;
  const redis = flag ?? (otherStorage ? undefined : fromEnv);
  const redisFrom = flag !== undefined ? "--redis" : redis !== undefined ? "EDGE_KV_REDIS" : fromEnv !== undefined ? "EDGE_KV_REDIS ignored" : undefined;
  return { redis, redisFrom };
}
