/**
 * `node --import edge-kv/register app.js`: makes `import { KVStore } from "fastly:kv-store"` work in
 * plain Node, so a Compute app runs locally outside Vitest.
 *
 * Stores: those of `./fastly.toml` ([local_server.kv_stores]) when it exists — or of the file named
 * by EDGE_KV_FASTLY_TOML — seeded at start. With EDGE_KV_DATA=<folder> every store (fastly.toml's
 * and those defined in code without a driver) lives in that folder (filesystem driver: data survives
 * restarts and can be shared with other processes) and only keys that do not exist yet are seeded.
 * With EDGE_KV_REDIS=<redis://host:port> they live in that Redis or Valkey server (edge-kv/redis:
 * shared by every process and machine using it), seeded the same way. Other `fastly:*` modules: EDGE_KV_MODULES='{"fastly:env":"./env.js"}'.
 * Stores can also be defined in code: `defineStore(name)` from edge-kv before the app handles requests.
 */
import { existsSync } from "node:fs";
import { register } from "node:module";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { EdgeKvError } from "../errors.js";
import { fileSystemStores, readFastlyKvStores } from "../node/index.js";
import { getRegistry, resetRegistry } from "../registry.js";
import type { HookData } from "./node-hooks.js";

const REGISTERED = Symbol.for("edge-kv.register");

function sibling(name: string): URL {
  for (const extension of [".js", ".ts"]) {
    const url = new URL(`./${name}${extension}`, import.meta.url);
    if (existsSync(url)) return url;
  }
  throw new EdgeKvError(`the edge-kv installation is incomplete: ${name}.js is missing next to ${import.meta.url}`);
}

function modulesFromEnv(): Record<string, string> {
  const raw = process.env.EDGE_KV_MODULES;
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new EdgeKvError(`EDGE_KV_MODULES must be JSON like '{"fastly:env":"./env.js"}', got ${raw}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new EdgeKvError(`EDGE_KV_MODULES must be a JSON object like '{"fastly:env":"./env.js"}', got ${raw}`);
  for (const [id, target] of Object.entries(parsed)) {
    if (!id.startsWith("fastly:") || typeof target !== "string") throw new EdgeKvError(`EDGE_KV_MODULES maps fastly:* names to module paths; "${id}": ${JSON.stringify(target)} is not one`);
  }
  return parsed as Record<string, string>;
}

/** Defines and seeds the stores of fastly.toml (if any) in the active registry; resolves their names. */
async function loadStores(root: string): Promise<string[]> {
  const named = process.env.EDGE_KV_FASTLY_TOML;
  const toml = resolvePath(root, named || "fastly.toml");
  if (!existsSync(toml)) {
    if (named) throw new EdgeKvError(`EDGE_KV_FASTLY_TOML names ${toml}, which does not exist. Fix the path or unset it`);
    return [];
  }
  const persistent = Boolean(process.env.EDGE_KV_DATA || process.env.EDGE_KV_REDIS);
  const registry = getRegistry();
  const stores = await readFastlyKvStores(toml);
  for (const [name, entries] of stores) {
    if (registry.hasStore(name)) continue;
    const admin = registry.defineStore(name);
    for (const entry of entries) {
      const options = entry.metadata === undefined ? {} : { metadata: entry.metadata };
      // A folder keeps what the app wrote: seed only keys it does not have yet.
      if (persistent) await admin.put(entry.key, entry.value, { ...options, mode: "add" }).catch(ignorePreconditionFailed);
      else await admin.put(entry.key, entry.value, options);
    }
  }
  return [...stores.keys()];
}

function ignorePreconditionFailed(error: unknown): void {
  if ((error as { code?: string })?.code !== "precondition-failed") throw error;
}

const holder = globalThis as { [REGISTERED]?: boolean };
if (!holder[REGISTERED]) {
  holder[REGISTERED] = true;
  const root = process.cwd();
  const data: HookData = { shimUrl: sibling("fastly-kv-store").href, modules: modulesFromEnv(), root };
  register(sibling("node-hooks").href, pathToFileURL(`${root}/`), { data });
  // With EDGE_KV_DATA every store defined from now on (fastly.toml's, or defineStore(name) in code) lives in that folder.
  const dataDir = process.env.EDGE_KV_DATA;
  const redisUrl = process.env.EDGE_KV_REDIS;
  if (dataDir && redisUrl) throw new EdgeKvError("EDGE_KV_DATA and EDGE_KV_REDIS are both set: stores live in a folder or in Redis, not both. Unset one of them");
  if (dataDir) resetRegistry({ createDriver: fileSystemStores(resolvePath(root, dataDir)) });
  if (redisUrl) {
    const { redisStores } = await import("../redis/index.js");
    resetRegistry({ createDriver: redisStores(redisUrl) });
  }
  await loadStores(root);
}
