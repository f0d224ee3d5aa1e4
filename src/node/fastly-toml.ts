/**
 * `fastly.toml`, the file Fastly's local server (Viceroy) reads: reading and checking it, the
 * sections under `[local_server]` (a warning naming the nearest valid key for an unknown one), and
 * loading its KV stores, config stores and secret stores into a registry. Errors carry Viceroy's texts followed by where: the file,
 * and the key or entry number (docs/fastly-toml.md).
 *
 * Each section edge-kv loads has its own reader module (fastly-toml-kv.ts for the KV stores,
 * fastly-toml-config-stores.ts, fastly-toml-secret-stores.ts, fastly-toml-geolocation.ts); loading another section is a reader module, a field in FastlyToml and a `read` in
 * LOCAL_SERVER_SECTIONS.
 *
 * Unlike Viceroy, relative `file` paths resolve against the folder of the `fastly.toml`, not the
 * current directory, so loading works from any working directory.
 */
import { dirname, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { KVLimits } from "../limits.js";
import { getRegistry, type KVRegistry } from "../registry.js";
import { utf8ByteLength } from "../utf8.js";
import { configError, endPosition, ioReason, isTable, readUtf8, typeName, type Table } from "./fastly-toml-common.js";
import { CONFIG_STORE_SECTIONS, readConfigStoresSection } from "./fastly-toml-config-stores.js";
import { readGeolocationSection, type FastlyGeolocation } from "./fastly-toml-geolocation.js";
import { KV_STORE_SECTIONS, readKvStoresSection, type FastlyKvEntry } from "./fastly-toml-kv.js";
import { readSecretStoresSection, SECRET_STORE_SECTIONS } from "./fastly-toml-secret-stores.js";

export { KV_STORE_SECTIONS, viceroyKeyError, type FastlyKvEntry } from "./fastly-toml-kv.js";
export { CONFIG_STORE_SECTIONS } from "./fastly-toml-config-stores.js";
export { SECRET_STORE_SECTIONS } from "./fastly-toml-secret-stores.js";

/** What edge-kv read from a fastly.toml. */
export interface FastlyToml {
  /** Absolute path of the file. */
  path: string;
  /** `[local_server.kv_stores]`: store name → entries, both in file order. */
  kvStores: Map<string, FastlyKvEntry[]>;
  /** `[local_server.config_stores]` (or `dictionaries`): store name → items (read by ConfigStore and Dictionary). */
  configStores: Map<string, Record<string, string>>;
  /** `[local_server.secret_stores]`: store name → secret name → bytes. */
  secretStores: Map<string, Record<string, Uint8Array>>;
  /** `[local_server.geolocation]`, when the file has one (event.client.geo in the app host and edge-kv dev). */
  geolocation?: FastlyGeolocation;
  /** One message per unknown key under `[local_server]`, naming the nearest valid key. */
  warnings: string[];
  /** Sections Viceroy reads that the file has and edge-kv does not use (e.g. `backends`), as written. */
  ignoredSections: string[];
}

interface SectionContext {
  /** Absolute path of the fastly.toml, and its folder (relative paths resolve against it). */
  toml: string;
  base: string;
  /** The name the section has in the file (Viceroy's or an alias). */
  name: string;
  /** Where `env = "VAR"` secrets are read from. */
  environment: Record<string, string | undefined>;
}

export interface ReadFastlyTomlOptions {
  /** Where `env = "VAR"` secrets are read from. Default: process.env. */
  environment?: Record<string, string | undefined>;
}

interface LocalServerSection {
  /** Viceroy's names for the section: only one of them may appear. */
  names: readonly string[];
  /**
   * Reads the section (a table of stores, checked by the caller) into `result`. Without one, edge-kv
   * does not use the section (no warning, listed in ignoredSections).
   */
  read?: (stores: Table, context: SectionContext, result: FastlyToml) => Promise<void>;
}

/**
 * Every key Viceroy reads under `[local_server]` (fastly/Viceroy src/config.rs, RawLocalServerConfig,
 * at 274febd: `dictionaries` alias `config_stores`, `object_stores` aliases `object_store` and `kv_stores`).
 */
export const LOCAL_SERVER_SECTIONS: readonly LocalServerSection[] = [
  { names: KV_STORE_SECTIONS, read: async (stores, { toml, base }, result) => void (result.kvStores = await readKvStoresSection(stores, toml, base)) },
  { names: CONFIG_STORE_SECTIONS, read: async (stores, { toml, base }, result) => void (result.configStores = await readConfigStoresSection(stores, toml, base)) },
  {
    names: SECRET_STORE_SECTIONS,
    read: async (stores, { toml, base, environment }, result) => void (result.secretStores = await readSecretStoresSection(stores, toml, base, environment)),
  },
  { names: ["backends"] },
  { names: ["acls"] },
  { names: ["geolocation"], read: async (section, { toml, base }, result) => void (result.geolocation = await readGeolocationSection(section, toml, base, result.warnings)) },
  { names: ["device_detection"] },
  { names: ["shielding_sites"] },
  { names: ["fake_valid_fastly_keys"] },
];

/** Reads and checks a fastly.toml (and every file it names) without defining anything. Throws EdgeKvError. */
export async function readFastlyToml(path: string, options: ReadFastlyTomlOptions = {}): Promise<FastlyToml> {
  if (typeof path !== "string" || path === "") throw new EdgeKvError(`readFastlyToml: path must be the path of a fastly.toml, got ${typeName(path)}`);
  const toml = resolve(path);
  let read: Awaited<ReturnType<typeof readUtf8>>;
  try {
    read = await readUtf8(toml);
  } catch (error) {
    throw new EdgeKvError(`error reading '${toml}': ${ioReason(error)}. Check the path (relative paths resolve against ${process.cwd()}).`, { cause: error });
  }
  if (!("text" in read)) {
    throw new EdgeKvError(`error reading \`fastly.toml\` at ${toml}:${endPosition(read.before)}: the file is not valid UTF-8 (byte ${read.badByte}). Save it as UTF-8.`);
  }
  const text = read.text; // a leading byte order mark is allowed: the TOML parser skips it
  let document: Table;
  try {
    document = parse(text) as Table;
  } catch (error) {
    if (error instanceof TomlError) {
      const reason = error.message.replace(/^Invalid TOML document: /, "").split("\n\n")[0];
      throw new EdgeKvError(`error parsing \`fastly.toml\` at ${toml}:${error.line}:${error.column}: ${reason}`, { cause: error });
    }
    throw error;
  }
  const result: FastlyToml = { path: toml, kvStores: new Map(), configStores: new Map(), secretStores: new Map(), warnings: [], ignoredSections: [] };
  const localServer = document["local_server"];
  if (localServer === undefined) return result;
  if (!isTable(localServer)) throw new EdgeKvError(`error parsing \`fastly.toml\` at ${toml}: 'local_server' must be a table, got ${typeName(localServer)}`);
  for (const key of Object.keys(localServer)) {
    if (LOCAL_SERVER_SECTIONS.some((section) => section.names.includes(key))) continue;
    const line = lineOf(text, key);
    result.warnings.push(`edge-kv: ${toml}${line === undefined ? "" : `:${line}`}: unknown key '${key}' under [local_server] is ignored; did you mean '${nearest(key)}'?`);
  }
  for (const section of LOCAL_SERVER_SECTIONS) {
    const present = section.names.filter((name) => localServer[name] !== undefined);
    if (present.length > 1) {
      throw new EdgeKvError(
        `error parsing \`fastly.toml\` at ${toml}: [local_server] has ${present.map((name) => `'${name}'`).join(" and ")}, which are one section under different names. Keep one of them.`,
      );
    }
    const name = present[0];
    if (name === undefined) continue;
    const value = localServer[name];
    if (!section.read) {
      result.ignoredSections.push(name);
      continue;
    }
    if (!isTable(value)) throw new EdgeKvError(`error parsing \`fastly.toml\` at ${toml}: [local_server.${name}] must be a table of stores, got ${typeName(value)}`);
    await section.read(value, { toml, base: dirname(toml), name, environment: options.environment ?? process.env }, result);
  }
  return result;
}

/** The KV stores of a fastly.toml, read and checked (nothing is defined): store name → entries. */
export async function readFastlyKvStores(path: string): Promise<Map<string, FastlyKvEntry[]>> {
  return (await readFastlyToml(path)).kvStores;
}

/** The valid key under [local_server] closest to `key` (edit distance, ignoring case; a prefix counts as close). */
function nearest(key: string): string {
  const wanted = key.toLowerCase();
  let best = "";
  let bestDistance = Infinity;
  for (const name of LOCAL_SERVER_SECTIONS.flatMap((section) => section.names)) {
    let distance = editDistance(wanted, name);
    if (wanted.length >= 3 && name.startsWith(wanted)) distance = Math.min(distance, 1);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The 1-based line where `key` is set under [local_server], when it can be found. */
function lineOf(text: string, key: string): number | undefined {
  const name = `["']?${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}["']?`;
  const header = new RegExp(`^\\s*\\[\\[?\\s*local_server\\s*\\.\\s*${name}\\s*[.\\]]`);
  const dotted = new RegExp(`^\\s*local_server\\s*\\.\\s*${name}\\s*[=.]`);
  const plain = new RegExp(`^\\s*${name}\\s*[=.]`);
  let table: "top" | "local_server" | "other" = "top";
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (header.test(line)) return index + 1;
    if (/^\s*\[/.test(line)) table = /^\s*\[\s*local_server\s*\]/.test(line) ? "local_server" : "other";
    else if ((table === "top" && dotted.test(line)) || (table === "local_server" && plain.test(line))) return index + 1;
  }
  return undefined;
}

/** A metadata limit given as text (a flag, an environment variable) or a number; throws EdgeKvError naming `what`. */
export function metadataLimit(value: unknown, what: string): number {
  const number = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof number !== "number" || !Number.isSafeInteger(number) || number < 0 || number > KVLimits.MAX_READABLE_METADATA_BYTES) {
    const shown = typeof value === "string" ? `'${value}'` : String(value);
    throw new EdgeKvError(`${what} must be a whole number of bytes from 0 to ${KVLimits.MAX_READABLE_METADATA_BYTES}, got ${shown}`);
  }
  return number;
}

/**
 * Checks every KV entry of `toml` against the limits its store will have (`settingsFor`); the error
 * names the file, store, key, size and limit, and how to raise the limit (`raise(bytes)`: the flag,
 * option or variable of the entry point that loads the file).
 */
export function checkKvStoreLimits(
  toml: FastlyToml,
  settingsFor: (store: string) => { maxMetadataBytes: number; maxValueBytes: number },
  raise: (bytes: number) => string,
): void {
  for (const [store, entries] of toml.kvStores) {
    const { maxMetadataBytes, maxValueBytes } = settingsFor(store);
    for (const entry of entries) {
      const at = { toml: toml.path, key: entry.key };
      const metadataBytes = entry.metadata === undefined ? 0 : utf8ByteLength(entry.metadata);
      if (metadataBytes > maxMetadataBytes) {
        const max = KVLimits.MAX_READABLE_METADATA_BYTES;
        const what = `The \`metadata\` of the object \`${entry.key}\` is ${metadataBytes} bytes; this store takes at most ${maxMetadataBytes} bytes.`;
        const fix = metadataBytes <= max ? ` Raise the limit with ${raise(metadataBytes)} to load it.` : ` No store takes more than ${max} bytes (Compute cannot read larger metadata back): shorten it.`;
        throw configError(store, what + fix, at);
      }
      if (entry.value.byteLength > maxValueBytes) {
        throw configError(store, `The value of the object \`${entry.key}\` is ${entry.value.byteLength} bytes; a value can be at most ${maxValueBytes}.`, at);
      }
    }
  }
}

export interface LoadFastlyTomlOptions {
  /** Registry to define the stores in. Default: the active one (getRegistry()). */
  registry?: KVRegistry;
  /** Driver per store, e.g. fileSystemStores('.edge-kv'). Default: the registry's (memory unless configured). */
  createDriver?: (storeName: string) => KVDriver;
  /** Replace stores that are already defined instead of failing. */
  replace?: boolean;
  /** Metadata limit of the stores defined (default: the registry's, 1000 bytes unless set; at most 69000). */
  maxMetadataBytes?: number;
  /** Where warnings about the file go (unknown keys under [local_server]). Default: console.warn. */
  onWarning?: (message: string) => void;
  /** Where `env = "VAR"` secrets are read from. Default: process.env. */
  environment?: Record<string, string | undefined>;
}

export interface DefineFastlyStoresOptions {
  registry: KVRegistry;
  createDriver?: (storeName: string) => KVDriver;
  maxMetadataBytes?: number;
  /**
   * A KV store of the same name already defined: fail, replace it, or keep it as it is (and not seed it).
   * Config and secret stores of the same name fail ("fail") or are replaced.
   */
  existing: "fail" | "replace" | "keep";
  /** "overwrite" every configured key (Viceroy's start), or write only keys a store does not have ("missing", for stores kept in a folder). */
  seed: "overwrite" | "missing";
  /** How the caller's user raises the metadata limit, for the error message. */
  raise: (bytes: number) => string;
}

/**
 * Defines the stores of `toml`: KV stores, seeded with their entries, config stores and secret stores.
 * Everything is checked first (existing stores, limits); on an error nothing is defined or written.
 * Resolves the names of the KV stores it defined.
 */
export async function defineFastlyStores(toml: FastlyToml, options: DefineFastlyStoresOptions): Promise<string[]> {
  const { registry } = options;
  const names = [...toml.kvStores.keys()];
  if (options.existing === "fail") {
    const clash = (kind: string, name: string, remove: string) =>
      new EdgeKvError(`${kind} '${name}' from ${toml.path} is already defined. Pass { replace: true } to loadFastlyToml, or ${remove}('${name}') first.`);
    for (const name of names) if (registry.hasStore(name)) throw clash("store", name, "removeStore");
    for (const name of toml.configStores.keys()) if (registry.lookupConfigStore(name)) throw clash("config store", name, "removeConfigStore");
    for (const name of toml.secretStores.keys()) if (registry.lookupSecretStore(name)) throw clash("secret store", name, "removeSecretStore");
  }
  const defined = options.existing === "keep" ? names.filter((name) => !registry.hasStore(name)) : names;
  const storeOptions = options.maxMetadataBytes === undefined ? {} : { maxMetadataBytes: options.maxMetadataBytes };
  const kept = (name: string) => (options.existing === "keep" ? registry.lookup(name)?.settings : undefined);
  checkKvStoreLimits(toml, (name) => kept(name) ?? registry.storeSettings(name, storeOptions), options.raise);
  for (const [name, items] of toml.configStores) registry.defineConfigStore(name, items, { replace: true });
  for (const [name, secrets] of toml.secretStores) registry.defineSecretStore(name, secrets, { replace: true });
  const admins = defined.map((name) => {
    const driver = options.createDriver?.(name);
    return registry.defineStore(name, { ...storeOptions, ...(driver === undefined ? {} : { driver }), replace: options.existing === "replace" });
  });
  for (const admin of admins) {
    for (const entry of toml.kvStores.get(admin.name)!) {
      const metadata = entry.metadata === undefined ? {} : { metadata: entry.metadata };
      if (options.seed === "overwrite") await admin.put(entry.key, entry.value, metadata);
      else await admin.put(entry.key, entry.value, { ...metadata, mode: "add" }).catch(ignorePreconditionFailed);
    }
  }
  return defined;
}

function ignorePreconditionFailed(error: unknown): void {
  if ((error as { code?: string })?.code !== "precondition-failed") throw error;
}

/**
 * Defines every store of a `fastly.toml` in a registry (default: the active one): KV stores, seeded
 * with their entries (overwrite mode, no TTL), config stores and secret stores. Resolves the KV store
 * names, in file order. Everything is read and checked before any store is defined or any entry written.
 */
export async function loadFastlyToml(path: string, options: LoadFastlyTomlOptions = {}): Promise<string[]> {
  const maxMetadataBytes = options.maxMetadataBytes === undefined ? undefined : metadataLimit(options.maxMetadataBytes, "loadFastlyToml: maxMetadataBytes");
  const toml = await readFastlyToml(path, options.environment === undefined ? {} : { environment: options.environment });
  for (const warning of toml.warnings) (options.onWarning ?? console.warn)(warning);
  return defineFastlyStores(toml, {
    registry: options.registry ?? getRegistry(),
    ...(options.createDriver && { createDriver: options.createDriver }),
    ...(maxMetadataBytes !== undefined && { maxMetadataBytes }),
    existing: options.replace ? "replace" : "fail",
    seed: "overwrite",
    raise: (bytes) => `loadFastlyToml(path, { maxMetadataBytes: ${bytes} })`,
  });
}
