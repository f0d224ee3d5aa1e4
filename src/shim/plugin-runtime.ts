/**
 * What the plugins' generated code calls in the process under test: builds the stores from the
 * plugin's configuration once (later calls reuse them). Directory-backed stores need Node's
 * filesystem driver, loaded only when a store asks for one.
 */
import type { KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { installGlobals } from "./globals.js";
import { withBlobs } from "./blob-runtime.js";
import { configureTestKv, type ConfiguredKv } from "../testing/current.js";
import type { TestKv } from "../testing/test-kv.js";

const SETUP = Symbol.for("edge-kv.plugin.setup");
type Holder = { [SETUP]?: { config: ConfiguredKv; kv: Promise<TestKv> } };

/** The stores of `config`, seeded and active; the same TestKv for the same configuration object. */
export function setUpStores(config: ConfiguredKv): Promise<TestKv> {
  const holder = globalThis as Holder;
  const existing = holder[SETUP];
  if (existing && existing.config === config) return existing.kv;
  const kv = (async () => {
    const needsFs = Object.values(config.stores).some((store) => store.driver !== undefined && store.driver !== "memory");
    let createDriver: ((store: string, directory: string) => KVDriver) | undefined;
    if (needsFs) createDriver = await fileSystemDriverFactory();
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
