/**
 * What the plugins' generated code calls in the process under test: builds the stores from the
 * plugin's configuration once (later calls reuse them). Directory-backed stores need Node's
 * filesystem driver, Redis-backed ones edge-kv/redis: each is loaded only when a store asks for it.
 */
import type { KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { installGlobals } from "./globals.js";
// The generated fastly:experimental module calls it: includeBytes reads the project's files.
export { useProjectFiles } from "../compute/project-files.js";
import { withBlobs } from "./blob-runtime.js";
import { configureTestKv, type ConfiguredDriver, type ConfiguredKv } from "../testing/current.js";
import type { TestKv } from "../testing/test-kv.js";

const SETUP = Symbol.for("edge-kv.plugin.setup");
type Holder = { [SETUP]?: { config: ConfiguredKv; kv: Promise<TestKv> } };

/** The stores of `config`, seeded and active; the same TestKv for the same configuration object. */
export function setUpStores(config: ConfiguredKv): Promise<TestKv> {
  const holder = globalThis as Holder;
  const existing = holder[SETUP];
  if (existing && existing.config === config) return existing.kv;
  const kv = (async () => {
    const drivers = Object.values(config.stores).map((store) => store.driver);
    const fs = drivers.some((driver) => typeof driver === "object" && "directory" in driver) ? await fileSystemDriverFactory() : undefined;
    const redis = drivers.some((driver) => typeof driver === "object" && "redis" in driver) ? await redisDriverFactory() : undefined;
    const createDriver = (store: string, driver: ConfiguredDriver) => ("redis" in driver ? redis!(store, driver) : fs!(store, driver.directory));
    const testKv = configureTestKv(await withBlobs(config), createDriver);
    if (config.globals !== false) installGlobals();
    return testKv.reset();
  })();
  holder[SETUP] = { config, kv };
  return kv;
}

async function fileSystemDriverFactory(): Promise<(store: string, directory: string) => KVDriver> {
  const specifier = "edge-kv/node";
  let node: Record<string, unknown>;
  try {
    node = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new EdgeKvError("a store with driver: { directory } needs the filesystem driver from edge-kv/node, which runs in Node.js only", { cause: error });
  }
  const FileSystemDriver = node.FileSystemDriver as (new (options: { directory: string; storeName: string }) => KVDriver) | undefined;
  if (typeof FileSystemDriver !== "function") throw new EdgeKvError("edge-kv/node does not export FileSystemDriver in this build");
  return (storeName, directory) => new FileSystemDriver({ directory, storeName });
}

/** Redis drivers, one shared connection per URL and prefix. */
async function redisDriverFactory(): Promise<(store: string, driver: { redis: string; prefix?: string }) => KVDriver> {
  const specifier = "edge-kv/redis";
  let redis: Record<string, unknown>;
  try {
    redis = (await import(/* @vite-ignore */ specifier)) as Record<string, unknown>;
  } catch (error) {
    throw new EdgeKvError("a store with driver: { redis } needs edge-kv/redis, which runs in Node.js only", { cause: error });
  }
  const redisStores = redis.redisStores as ((url: string, options: { prefix?: string }) => (store: string) => KVDriver) | undefined;
  if (typeof redisStores !== "function") throw new EdgeKvError("edge-kv/redis does not export redisStores in this build");
  const connections = new Map<string, (store: string) => KVDriver>();
  return (storeName, { redis: url, prefix }) => {
    const id = `${prefix ?? ""} ${url}`;
    let stores = connections.get(id);
    if (stores === undefined) connections.set(id, (stores = redisStores(url, prefix === undefined ? {} : { prefix })));
    return stores(storeName);
  };
}
