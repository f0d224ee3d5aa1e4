/**
 * Shared by the Vite/Vitest plugin, the Node hook and the esbuild plugin (Node only): turns plugin
 * options (inline stores, seed folders, fastly.toml) into a ConfiguredKv — plain data that is
 * handed to the code under test — and words the error for an unmapped `fastly:*` module.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { Bytes, SeedData } from "../admin.js";
import type { Profile } from "../core.js";
import { EdgeKvError } from "../errors.js";
import { decodeUtf8Lossy, decodeUtf8Strict, isValidUtf8 } from "../utf8.js";
import { checkKvStoreLimits, metadataLimit, readFastlyToml, type FastlyToml } from "../node/fastly-toml.js";
import { KVRegistry } from "../registry.js";
import { providedModuleList } from "./modules.js";
import type { ConsistencyOptions } from "../testing/controller.js";
import type { ConfiguredKv, ConfiguredStore } from "../testing/current.js";
import { redactUrl } from "../redis/redact.js";

export interface StoreOption {
  /** Entries every test starts with: key → value, or key → { value, metadata?, ttl? }. */
  seed?: SeedData;
  /** A folder whose files become entries: the path below the folder (with "/") is the key, the bytes the value. */
  folder?: string;
  /**
   * "memory" (default); { directory } to keep the data in a folder (filesystem driver); or
   * { redis: "redis://host:6379", prefix? } to keep it in Redis or Valkey (edge-kv/redis). Node only.
   */
  driver?: "memory" | { directory: string } | { redis: string; prefix?: string };
  profile?: Profile;
  maxMetadataBytes?: number;
  /** Simulate eventual consistency for this store (see edge-kv/testing). */
  consistency?: ConsistencyOptions;
}

export interface EdgeKvOptions {
  /**
   * Stores by name. When given, fastly.toml is only read if `fastlyToml` names it; the inline stores
   * are added to (and override) those it defines.
   */
  stores?: Record<string, StoreOption>;
  /** Path of fastly.toml (relative to the project root). Default: `fastly.toml` when one exists and no `stores` are given. `false`: never. */
  fastlyToml?: string | false;
  /** Config stores (`fastly:config-store`, `fastly:dictionary`): name → { key: value }. Added to (and override) fastly.toml's. */
  configStores?: Record<string, Record<string, string>>;
  /** Secret stores (`fastly:secret-store`): name → { secret: string or bytes }. Added to (and override) fastly.toml's. */
  secretStores?: Record<string, Record<string, Bytes>>;
  /** `fastly:env` values over Viceroy's defaults (FASTLY_HOSTNAME=localhost, FASTLY_POP=XXX...). */
  env?: Record<string, string>;
  /**
   * `fastly:*` modules mapped to modules of your own, relative to the project root:
   * `{ "fastly:geolocation": "./test/fake-geolocation.ts" }`. A mapping also replaces a module edge-kv provides.
   */
  modules?: Record<string, string>;
  /**
   * Where apps loaded with edge-kv/host's `loadApp` run: "js" (default) in edge-kv's app host; "wasm"
   * in Fastly's own runtime — the entry built with the project's @fastly/js-compute (cached) and
   * hosted by edge-kv/wasm (docs/wasm-host.md). Default: EDGE_KV_RUNTIME, else "js".
   */
  runtime?: "js" | "wasm";
  /**
   * "fake": stores use a FakeClock (advance it with getTestKv().advance()) — the default under Vitest;
   * "system": the real clock — the default in a Vite dev server or build.
   */
  clock?: "fake" | "system";
  /** Start of the fake clock. Default 2025-01-01T00:00:00Z. */
  start?: number | string | Date;
  profile?: Profile;
  /**
   * Metadata limit of every store that does not set its own — fastly.toml's included. Default 1000
   * bytes (the JS API's); at most 69000.
   */
  maxMetadataBytes?: number;
  /**
   * Install the Compute globals as the runtime does (KVStore, KVStoreEntry, ConfigStore, Dictionary,
   * SecretStore, SecretStoreEntry, fastly.env) and tell platform body streams from app-made ones for
   * KVStore.put. Default true; false leaves globalThis alone.
   */
  globals?: boolean;
  /**
   * Where every store without a `driver` of its own lives (fastly.toml's too), e.g.
   * `{ redis: "redis://127.0.0.1:6379" }`. Default "memory".
   */
  driver?: StoreOption["driver"];
}


/** The module a `fastly:*` import maps to, or an EdgeKvError naming it and the option that maps it. */
export function mappedModule(id: string, modules: Record<string, string> | undefined, root: string, option: string, importer?: string): string {
  const target = modules?.[id];
  if (typeof target === "string" && target !== "") return isAbsolute(target) ? target : resolve(root, target);
  const from = importer ? ` (imported from ${relative(root, importer) || importer})` : "";
  throw new EdgeKvError(
    `cannot resolve "${id}"${from}: edge-kv provides ${providedModuleList()}. Map "${id}" to a module of your own: ${option.replace("$ID", id)}`,
  );
}

/** Reads plugin options (and fastly.toml, seed folders) into plain data. Throws EdgeKvError on bad options. */
export async function resolveKvConfig(options: EdgeKvOptions, root: string, caller: string): Promise<ConfiguredKv> {
  if (options === null || typeof options !== "object") throw new EdgeKvError(`${caller}: options must be an object, got ${typeof options}`);
  const stores: Record<string, ConfiguredStore> = {};
  const configStores: Record<string, Record<string, string>> = {};
  const secretStores: Record<string, Record<string, Uint8Array | string>> = {};
  const sources: string[] = [];
  let geolocation: ConfiguredKv["geolocation"];
  const maxMetadataBytes = options.maxMetadataBytes === undefined ? undefined : metadataLimit(options.maxMetadataBytes, `${caller}: maxMetadataBytes`);
  const tomlPath = options.fastlyToml === false ? null : resolve(root, options.fastlyToml ?? "fastly.toml");
  const readToml = tomlPath !== null && (options.fastlyToml !== undefined || options.stores === undefined);
  if (readToml) {
    if (existsSync(tomlPath)) {
      const toml = await readCheckedFastlyToml(tomlPath, options.profile, maxMetadataBytes, caller);
      Object.assign(stores, kvSeeds(toml.kvStores, maxMetadataBytes));
      Object.assign(configStores, Object.fromEntries(toml.configStores));
      Object.assign(secretStores, Object.fromEntries(toml.secretStores));
      if (toml.geolocation !== undefined) geolocation = { useDefaultLoopback: toml.geolocation.useDefaultLoopback, addresses: toml.geolocation.addresses };
      sources.push(relative(root, tomlPath) || tomlPath);
    } else if (options.fastlyToml !== undefined) {
      throw new EdgeKvError(`${caller}: fastlyToml points to ${tomlPath}, which does not exist. Fix the path, or pass stores: { ... } instead`);
    }
  }
  if (options.stores !== undefined) {
    if (options.stores === null || typeof options.stores !== "object" || Array.isArray(options.stores)) {
      throw new EdgeKvError(`${caller}: stores must be an object mapping store names to { seed, folder, driver }, got ${Array.isArray(options.stores) ? "an array" : typeof options.stores}`);
    }
    for (const [name, store] of Object.entries(options.stores)) {
      // The top-level limit applies to stores that do not set their own.
      const withLimit = maxMetadataBytes !== undefined && isPlainObject(store) && store.maxMetadataBytes === undefined ? { ...store, maxMetadataBytes } : store;
      stores[name] = inlineStore(name, withLimit ?? {}, root, caller);
    }
    sources.push(`${caller}({ stores })`);
  }
  for (const [option, target] of [["configStores", configStores], ["secretStores", secretStores]] as const) {
    const value = options[option];
    if (value === undefined) continue;
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      throw new EdgeKvError(`${caller}: ${option} must be an object mapping store names to { key: value } objects, got ${Array.isArray(value) ? "an array" : typeof value}`);
    }
    for (const [name, entries] of Object.entries(value)) {
      if (entries === null || typeof entries !== "object" || Array.isArray(entries)) {
        throw new EdgeKvError(`${caller}({ ${option}: { "${name}": ... } }): a store is an object mapping keys to values, got ${Array.isArray(entries) ? "an array" : typeof entries}`);
      }
      (target as Record<string, unknown>)[name] = option === "secretStores" ? secretBytes(name, entries as Record<string, Bytes>, caller) : entries;
    }
  }
  if (options.env !== undefined && (options.env === null || typeof options.env !== "object" || Array.isArray(options.env))) {
    throw new EdgeKvError(`${caller}: env must be an object like { API_URL: "https://..." }, got ${typeof options.env}`);
  }
  let start: number | undefined;
  if (options.start !== undefined) {
    start = options.start instanceof Date ? options.start.getTime() : typeof options.start === "string" ? Date.parse(options.start) : options.start;
    if (!Number.isFinite(start)) throw new EdgeKvError(`${caller}: start must be a date or a time in ms, got ${JSON.stringify(options.start)}`);
  }
  if (options.clock !== undefined && options.clock !== "fake" && options.clock !== "system") {
    throw new EdgeKvError(`${caller}: clock must be "fake" or "system", got ${JSON.stringify(options.clock)}`);
  }
  if (options.modules !== undefined) {
    for (const [id, target] of Object.entries(options.modules)) {
      if (!id.startsWith("fastly:")) throw new EdgeKvError(`${caller}: modules maps fastly:* module names, got ${JSON.stringify(id)}`);
      if (typeof target !== "string" || target === "") throw new EdgeKvError(`${caller}: modules["${id}"] must be a path to a module, got ${JSON.stringify(target)}`);
    }
  }
  // The default driver goes to every store that does not name its own (fastly.toml's included).
  const defaultDriver = checkDriver(options.driver, root, `${caller}({ driver })`);
  if (defaultDriver !== undefined) for (const store of Object.values(stores)) store.driver ??= defaultDriver;
  return {
    stores,
    clock: options.clock ?? "fake",
    ...(start !== undefined ? { start } : {}),
    ...(options.profile !== undefined ? { profile: options.profile } : {}),
    ...(Object.keys(configStores).length ? { configStores } : {}),
    ...(Object.keys(secretStores).length ? { secretStores } : {}),
    ...(options.env !== undefined ? { env: { ...options.env } } : {}),
    ...(geolocation !== undefined ? { geolocation } : {}),
    globals: options.globals !== false,
    source: sources.join(" + ") || `${caller}()`,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function inlineStore(name: string, store: StoreOption, root: string, caller: string): ConfiguredStore {
  const where = `${caller}({ stores: { "${name}": ... } })`;
  if (typeof store !== "object" || Array.isArray(store)) throw new EdgeKvError(`${where}: a store is an object like { seed: { key: "value" } }, got ${typeof store}`);
  const known = new Set(["seed", "folder", "driver", "profile", "maxMetadataBytes", "consistency"]);
  for (const option of Object.keys(store)) {
    if (!known.has(option)) throw new EdgeKvError(`${where}: unknown option "${option}". Store options are: ${[...known].join(", ")}`);
  }
  const seed: Record<string, unknown> = {};
  if (store.folder !== undefined) Object.assign(seed, readSeedFolder(resolve(root, store.folder), where));
  if (store.seed !== undefined) {
    if (store.seed === null || typeof store.seed !== "object" || Array.isArray(store.seed)) throw new EdgeKvError(`${where}: seed must be an object mapping keys to values`);
    Object.assign(seed, store.seed);
  }
  const driver = checkDriver(store.driver, root, where);
  return {
    seed: seed as SeedData,
    ...(driver ? { driver } : {}),
    ...(store.profile !== undefined ? { profile: store.profile } : {}),
    ...(store.maxMetadataBytes !== undefined ? { maxMetadataBytes: store.maxMetadataBytes } : {}),
    ...(store.consistency !== undefined ? { consistency: store.consistency } : {}),
  };
}

/** A `driver` option checked and resolved (folders against the project root). */
function checkDriver(driver: StoreOption["driver"], root: string, where: string): ConfiguredStore["driver"] {
  if (driver === undefined || driver === "memory") return driver;
  if (typeof driver === "object" && driver !== null) {
    if ("directory" in driver && typeof driver.directory === "string" && !("redis" in driver)) return { directory: resolve(root, driver.directory) };
    if ("redis" in driver && typeof driver.redis === "string" && driver.redis !== "" && !("directory" in driver)) {
      if (driver.prefix !== undefined && typeof driver.prefix !== "string") throw new EdgeKvError(`${where}: driver.prefix must be a string, got ${JSON.stringify(driver.prefix)}`);
      return driver.prefix === undefined ? { redis: driver.redis } : { redis: driver.redis, prefix: driver.prefix };
    }
  }
  const shown = typeof driver === "object" && driver !== null && "redis" in driver ? { ...driver, redis: redactUrl(String(driver.redis)) } : driver;
  throw new EdgeKvError(`${where}: driver must be "memory", { directory: "path/to/folder" } or { redis: "redis://host:6379" }, got ${JSON.stringify(shown)}`);
}

/**
 * Every file below `folder` as key → bytes; keys are the relative paths with "/" separators. Names are
 * read as bytes: a name that is not UTF-8 cannot be a key, and is refused (a lossy decode would seed
 * it under a U+FFFD key that the app never asked for).
 */
export function readSeedFolder(folder: string, where = "seed folder"): Record<string, Uint8Array> {
  let stats;
  try {
    stats = statSync(folder);
  } catch {
    throw new EdgeKvError(`${where}: seed folder ${folder} does not exist. Create it, or fix the folder path`);
  }
  if (!stats.isDirectory()) throw new EdgeKvError(`${where}: ${folder} is not a folder. folder: must name a directory whose files become entries`);
  const out: Record<string, Uint8Array> = {};
  const visit = (dir: Buffer, keyPrefix: string) => {
    const entries = readdirSync(dir, { withFileTypes: true, encoding: "buffer" }).sort((a, b) => Buffer.compare(a.name, b.name));
    for (const entry of entries) {
      const path = Buffer.concat([dir, SLASH, entry.name]);
      if (!isValidUtf8(entry.name)) {
        throw new EdgeKvError(
          `${where}: the name of ${decodeUtf8Lossy(path)} is not valid UTF-8 (bytes ${[...entry.name].map((b) => b.toString(16).padStart(2, "0")).join(" ")}), ` +
            `so it cannot be a KV key. Rename it (or move it out of ${folder}); nothing was seeded`,
        );
      }
      const key = keyPrefix + decodeUtf8Strict(entry.name);
      if (entry.isDirectory()) visit(path, `${key}/`);
      else if (entry.isFile()) out[key] = new Uint8Array(readFileSync(path));
    }
  };
  visit(Buffer.from(folder), "");
  return out;
}

const SLASH = Buffer.from(sep);

/** Secret values as bytes (strings as UTF-8), so the configuration is plain data. */
function secretBytes(store: string, entries: Record<string, Bytes>, caller: string): Record<string, Uint8Array | string> {
  const out: Record<string, Uint8Array | string> = {};
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value === "string") out[key] = value;
    else if (value instanceof ArrayBuffer) out[key] = new Uint8Array(value.slice(0));
    else if (ArrayBuffer.isView(value)) out[key] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    else throw new EdgeKvError(`${caller}({ secretStores: { "${store}": ... } }): the secret '${key}' must be a string or bytes, got ${typeof value}`);
  }
  return out;
}

/**
 * fastly.toml read by edge-kv/node (KV, config and secret stores), its KV entries checked against the
 * limits the stores will have. Warnings about the file go to console.warn.
 */
async function readCheckedFastlyToml(path: string, profile: Profile | undefined, maxMetadataBytes: number | undefined, caller: string): Promise<FastlyToml> {
  const toml = await readFastlyToml(path);
  for (const warning of toml.warnings) console.warn(warning);
  const limits = new KVRegistry({ ...(profile !== undefined && { profile }), ...(maxMetadataBytes !== undefined && { maxMetadataBytes }) });
  checkKvStoreLimits(toml, (name) => limits.storeSettings(name), (bytes) => `${caller}({ maxMetadataBytes: ${bytes} })`);
  return toml;
}

/** Stores of fastly.toml's [local_server.kv_stores], as seeds (with the top-level metadata limit, if given). */
function kvSeeds(kvStores: FastlyToml["kvStores"], maxMetadataBytes: number | undefined): Record<string, ConfiguredStore> {
  const out: Record<string, ConfiguredStore> = {};
  for (const [name, entries] of kvStores) {
    const seed: Record<string, { value: Uint8Array; metadata?: string }> = {};
    for (const entry of entries) seed[entry.key] = entry.metadata === undefined ? { value: entry.value } : { value: entry.value, metadata: entry.metadata };
    out[name] = { seed, ...(maxMetadataBytes !== undefined && { maxMetadataBytes }) };
  }
  return out;
}

/** JavaScript source for a value made of plain objects, arrays, strings, numbers, booleans, null and Uint8Arrays. */
export function toSource(value: unknown): string {
  if (value instanceof ArrayBuffer) return toSource(new Uint8Array(value));
  if (ArrayBuffer.isView(value)) return `new Uint8Array([${Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)).join(",")}])`;
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw new EdgeKvError(`store options must be plain data (strings, numbers, bytes, objects); got a ${typeof value}`);
  }
  if (Array.isArray(value)) return `[${value.map(toSource).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .map(([key, item]) => `${JSON.stringify(key)}:${toSource(item)}`)
      .join(",")}}`;
  }
  if (value === undefined) return "undefined";
  return JSON.stringify(value);
}
