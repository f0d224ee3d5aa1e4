/**
 * `node --import edge-kv/register app.js`: makes `fastly:kv-store`, `fastly:config-store`,
 * `fastly:dictionary`, `fastly:secret-store`, `fastly:env` and `fastly:experimental` imports work in plain Node, so a Compute
 * app runs locally outside Vitest, and installs the Compute globals (EDGE_KV_GLOBALS=0: not).
 *
 * Stores: those of `./fastly.toml` (KV, config and secret stores) when it exists — or of the file named
 * by EDGE_KV_FASTLY_TOML (`false`: none) — seeded at start; EDGE_KV_MAX_METADATA_BYTES sets the KV stores'
 * metadata limit. EDGE_KV_ENV='{"NAME":"value"}' sets fastly:env values. With EDGE_KV_DATA=<folder> every store (fastly.toml's
 * and those defined in code without a driver) lives in that folder (filesystem driver: data survives
 * restarts and can be shared with other processes) and only keys that do not exist yet are seeded.
 * With EDGE_KV_REDIS=<redis://host:port> they live in that Redis or Valkey server (edge-kv/redis:
 * shared by every process and machine using it), seeded the same way. Other `fastly:*` modules: EDGE_KV_MODULES='{"fastly:env":"./env.js"}'.
 * `includeBytes(path)` from fastly:experimental reads `path` relative to the working directory.
 * Stores can also be defined in code: `defineStore(name)` from edge-kv before the app handles requests.
 * A service-worker app (`addEventListener("fetch", …)`) fails with an error naming `edge-kv dev` and `loadApp`.
 */
import { existsSync } from "node:fs";
import { register } from "node:module";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { EdgeKvError } from "../errors.js";
import { defineFastlyStores, metadataLimit, readFastlyToml } from "../node/fastly-toml.js";
import { fileSystemStores } from "../node/index.js";
import { installFetchListenerGuard } from "./fetch-listener-guard.js";
import { installGlobals } from "./globals.js";
import { useProjectFiles } from "../compute/project-files.js";
import { PROVIDED_MODULES } from "./modules.js";
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

/** A JSON object from an environment variable ({} when unset), or an error showing `example`. */
function jsonObjectFromEnv(variable: string, example: string): Record<string, unknown> {
  const raw = process.env[variable];
  if (raw === undefined || raw.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    throw new EdgeKvError(`${variable} must be JSON like '${example}', got ${raw}: ${(error as Error).message}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new EdgeKvError(`${variable} must be a JSON object like '${example}', got ${raw}`);
  return parsed as Record<string, unknown>;
}

function modulesFromEnv(): Record<string, string> {
  const parsed = jsonObjectFromEnv("EDGE_KV_MODULES", '{"fastly:geolocation":"./geolocation.js"}');
  for (const [id, target] of Object.entries(parsed)) {
    if (!id.startsWith("fastly:") || typeof target !== "string") throw new EdgeKvError(`EDGE_KV_MODULES maps fastly:* names to module paths; "${id}": ${JSON.stringify(target)} is not one`);
  }
  return parsed as Record<string, string>;
}

/** Defines and seeds the stores of fastly.toml (if any: KV, config, secret) in the active registry; resolves the KV store names. */
async function loadStores(root: string): Promise<string[]> {
  const named = process.env.EDGE_KV_FASTLY_TOML;
  if (named === "false") return [];
  const path = resolvePath(root, named || "fastly.toml");
  if (!existsSync(path)) {
    if (named) throw new EdgeKvError(`EDGE_KV_FASTLY_TOML names ${path}, which does not exist. Fix the path or unset it`);
    return [];
  }
  const limit = process.env.EDGE_KV_MAX_METADATA_BYTES;
  const maxMetadataBytes = limit === undefined || limit === "" ? undefined : metadataLimit(limit, "EDGE_KV_MAX_METADATA_BYTES");
  const toml = await readFastlyToml(path);
  for (const warning of toml.warnings) process.stderr.write(`${warning}\n`);
  // KV stores defined in code first stay as they are (config and secret stores are replaced).
  // A folder keeps what the app wrote: seed only keys it does not have yet.
  return defineFastlyStores(toml, {
    registry: getRegistry(),
    ...(maxMetadataBytes !== undefined && { maxMetadataBytes }),
    existing: "keep",
    seed: process.env.EDGE_KV_DATA || process.env.EDGE_KV_REDIS ? "missing" : "overwrite",
    raise: (bytes) => `EDGE_KV_MAX_METADATA_BYTES=${bytes}`,
  });
}

const holder = globalThis as { [REGISTERED]?: boolean };
if (!holder[REGISTERED]) {
  holder[REGISTERED] = true;
  const root = process.cwd();
  const shimUrls = Object.fromEntries(Object.entries(PROVIDED_MODULES).map(([id, module]) => [id, sibling(module.file).href]));
  const data: HookData = { shimUrls, modules: modulesFromEnv(), root };
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
  const envValues = jsonObjectFromEnv("EDGE_KV_ENV", '{"API_URL":"http://localhost:8080"}');
  for (const [name, value] of Object.entries(envValues)) {
    if (typeof value !== "string") throw new EdgeKvError(`EDGE_KV_ENV maps variable names to string values; ${name}: ${JSON.stringify(value)} is not a string`);
  }
  getRegistry().env.set(envValues as Record<string, string>);
  if (process.env.EDGE_KV_GLOBALS !== "0") installGlobals();
  // fastly:experimental's includeBytes(path) reads path relative to the working directory (the project).
  useProjectFiles(root);
  // A service-worker app gets told to use edge-kv dev or loadApp, not a bare ReferenceError.
  installFetchListenerGuard(root);
}
