/**
 * edge-kv/redis: stores in Redis or Valkey (a single server or a Cluster), shared by every process
 * and machine that uses the same server. Node only; it is its own entry so that the core stays
 * web-standard and users who never use Redis never load a Redis client.
 *
 *   import { KVRegistry, setRegistry } from "edge-kv";
 *   import { redisStores } from "edge-kv/redis";
 *   setRegistry(new KVRegistry({ createDriver: redisStores("redis://127.0.0.1:6379") }));
 */
import { EdgeKvError } from "../errors.js";
import { RedisConnection, type RedisConnectionOptions } from "./connection.js";
import { RedisDriver } from "./driver.js";
import { DEFAULT_PREFIX, checkPrefix } from "./layout.js";

export { RedisDriver } from "./driver.js";
export type { RedisDriverOptions } from "./driver.js";
export { RedisConnection, RedisStoreError, parseRedisUrl } from "./connection.js";
export { redactUrl } from "./redact.js";
export type { RedisConnectionOptions, RedisFailureKind } from "./connection.js";
export { StoreKeys, storeTag, storeNameFromTag, decodeRecord, encodeRecordExtras, encodeRecordTimes, LAYOUT_FORMAT, LAYOUT_VERSION, DEFAULT_PREFIX } from "./layout.js";
export type { DecodedRecord } from "./layout.js";

export interface RedisStoresOptions extends Omit<RedisConnectionOptions, "url"> {
  /** First part of every Redis key edge-kv writes. Default "edge-kv". */
  prefix?: string;
  /** The server drops a record this long after it expires by the writer's clock. Default 60000. */
  expiryGraceMs?: number;
}

/** A driver factory for `new KVRegistry({ createDriver })`, with the shared connection and the stores it knows. */
export interface RedisStores {
  (storeName: string): RedisDriver;
  readonly connection: RedisConnection;
  /** Names of every store opened on this server under this prefix, by any process, sorted. */
  storeNames(): Promise<string[]>;
  /** Closes the shared connection now (drivers reconnect if used again). */
  close(): Promise<void>;
}

/**
 * Every store of a registry in one Redis deployment, over one shared connection:
 * `new KVRegistry({ createDriver: redisStores(url) })`. Store `name` keeps its keys under the hash
 * tag of its name (see docs/redis.md), so any number of processes opening the same name share it.
 */
export function redisStores(url: string, options: RedisStoresOptions = {}): RedisStores {
  if (typeof url !== "string" || url === "") throw new EdgeKvError(`redisStores: url must be a redis:// URL string, got ${url === "" ? "an empty string" : typeof url}`);
  if (options === null || typeof options !== "object") throw new EdgeKvError(`redisStores: options must be an object, got ${options === null ? "null" : typeof options}`);
  const prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
  const connection = new RedisConnection({ ...options, url });
  const factory = (storeName: string) => new RedisDriver({ ...options, prefix, storeName, connection });
  return Object.assign(factory, {
    connection,
    async storeNames() {
      connection.enter();
      try {
        const client = await connection.client();
        return (await client.smembers(`${prefix}:stores`)).sort();
      } catch (error) {
        throw connection.failure(error, "list of stores");
      } finally {
        connection.leave();
      }
    },
    close: () => connection.close(),
  });
}
