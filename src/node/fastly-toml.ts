/**
 * Loads the KV stores of a `fastly.toml` (the file Fastly's local server, Viceroy, reads):
 * `[local_server.kv_stores]` and its aliases `object_stores` / `object_store`, in the three shapes
 * Viceroy accepts — inline `[[local_server.kv_stores.NAME]]` entries, `NAME = []`, and whole-store
 * JSON files `NAME = { file = "...", format = "json" }`. Checks run in Viceroy's order and fail with
 * Viceroy's texts (docs/fastly-toml.md), followed by where: the file, and the key or entry number.
 *
 * Unlike Viceroy, relative `file` paths resolve against the folder of the `fastly.toml`, not the
 * current directory, so loading works from any working directory.
 */
import { promises as fsp } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import type { KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { getRegistry, type KVRegistry } from "../registry.js";
import { storeNameError } from "../rules.js";
import { utf8ByteLength } from "../utf8.js";
import { checkComputeStoresFree, defineComputeStores, readFastlyService } from "./fastly-toml-service.js";

export interface FastlyKvEntry {
  key: string;
  value: Uint8Array;
  metadata?: string;
}

export interface LoadFastlyTomlOptions {
  /** Registry to define the stores in. Default: the active one (getRegistry()). */
  registry?: KVRegistry;
  /** Driver per store, e.g. fileSystemStores('.edge-kv'). Default: the registry's (memory unless configured). */
  createDriver?: (storeName: string) => KVDriver;
  /** Replace stores that are already defined instead of failing. */
  replace?: boolean;
}

/** The section names Viceroy accepts for KV stores (one of them at most). */
export const KV_STORE_SECTIONS = ["kv_stores", "object_stores", "object_store"] as const;

export type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return typeof value === "string" ? "a string" : `${typeof value} ${String(value)}`;
}

/** Where a config problem is, appended to Viceroy's text. */
export interface Place {
  toml: string;
  /** The whole-store JSON file the entry came from. */
  json?: string;
  key?: string;
  /** 1-based position of an inline entry that has no usable key. */
  entry?: number;
}

export function configError(store: string, text: string, place: Place): EdgeKvError {
  const file = place.json === undefined ? `file ${place.toml}` : `file ${place.json} (listed in ${place.toml})`;
  const what = place.key !== undefined ? `, key '${place.key}'` : place.entry !== undefined ? `, entry ${place.entry}` : "";
  return new EdgeKvError(`invalid configuration for '${store}': ${text} [${file}${what}]`);
}

/** One section of [local_server] that may be spelled several ways: its name, and its table of stores (or undefined). */
export function aliasedSection(document: FastlyTomlDocument, names: readonly string[]): [string, Record<string, unknown>] | undefined {
  const { toml, localServer } = document;
  const present = names.filter((name) => localServer[name] !== undefined);
  if (present.length > 1) {
    throw new EdgeKvError(
      `error parsing \`fastly.toml\` at ${toml}: [local_server] has ${present.map((name) => `'${name}'`).join(" and ")}, which are one section under different names. Keep one of them.`,
    );
  }
  const section = present[0];
  if (section === undefined) return undefined;
  const definitions = localServer[section];
  if (!isTable(definitions)) throw new EdgeKvError(`error parsing \`fastly.toml\` at ${toml}: [local_server.${section}] must be a table of stores, got ${typeName(definitions)}`);
  return [section, definitions];
}

/** Viceroy's own key check for configured entries (stricter than the runtime's), with its texts. */
export function viceroyKeyError(key: string): string | null {
  const bytes = utf8ByteLength(key);
  if (bytes === 0) return "Keys for objects cannot be empty";
  if (bytes > 1024) return "Keys for objects cannot be over 1024 bytes in size";
  if (key.startsWith(".well-known/acme-challenge")) return "Keys for objects cannot start with `.well-known/acme-challenge`";
  if (key === ".." || key.includes("../") || key.endsWith("/..")) return "Keys for objects cannot be named `..`";
  if (key === "." || key.includes("./") || key.endsWith("/.")) return "Keys for objects cannot be named `.`";
  for (const character of ["\r", "\n", "#", ";", "?", "^", "|"]) {
    if (key.includes(character)) return `Keys for objects cannot contain a \`${character}\``;
  }
  // Viceroy tests the length in bytes, so only single ASCII characters reach this rule.
  if (bytes === 1 && key.charCodeAt(0) <= 0x20) return `Keys for objects cannot contain a \`\\u{${key.charCodeAt(0).toString(16)}}\``;
  return null;
}

async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await fsp.readFile(path));
}

export function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a folder, not a file";
  return (error as Error)?.message ?? String(error);
}

/**
 * Parses and checks the KV stores of a `fastly.toml` without defining anything: store name → its
 * entries in file order (values as bytes, `file` values read from disk). Throws EdgeKvError.
 */
export async function readFastlyKvStores(path: string): Promise<Map<string, FastlyKvEntry[]>> {
  return readKvStoresSection(await readFastlyTomlDocument(path, "readFastlyKvStores"));
}

/** A parsed fastly.toml: its absolute path, its folder (relative paths resolve against it), its [local_server] table ({} when absent). */
export interface FastlyTomlDocument {
  toml: string;
  base: string;
  localServer: Table;
}

/** Reads and parses a fastly.toml (Viceroy's wording for unreadable or malformed files). */
export async function readFastlyTomlDocument(path: string, caller = "readFastlyToml"): Promise<FastlyTomlDocument> {
  if (typeof path !== "string" || path === "") throw new EdgeKvError(`${caller}: path must be the path of a fastly.toml, got ${typeName(path)}`);
  const toml = resolve(path);
  const base = dirname(toml);
  let text: string;
  try {
    text = await fsp.readFile(toml, "utf8");
  } catch (error) {
    throw new EdgeKvError(`error reading '${toml}': ${ioReason(error)}. Check the path (relative paths resolve against ${process.cwd()}).`, { cause: error });
  }
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
  const localServer = document["local_server"];
  if (localServer === undefined) return { toml, base, localServer: {} };
  if (!isTable(localServer)) throw new EdgeKvError(`error parsing \`fastly.toml\` at ${toml}: 'local_server' must be a table, got ${typeName(localServer)}`);
  return { toml, base, localServer };
}

/** The KV stores of a parsed fastly.toml: store name → entries in file order. */
export async function readKvStoresSection({ toml, base, localServer }: FastlyTomlDocument): Promise<Map<string, FastlyKvEntry[]>> {
  const stores = new Map<string, FastlyKvEntry[]>();
  const found = aliasedSection({ toml, base, localServer }, KV_STORE_SECTIONS);
  if (found === undefined) return stores;
  const definitions = found[1];

  for (const [store, definition] of Object.entries(definitions)) {
    const nameProblem = storeNameError(store);
    if (nameProblem) throw configError(store, `${nameProblem.replace("KVStore constructor: ", "")}.`, { toml });
    const filePath = isTable(definition) && typeof definition["file"] === "string" ? definition["file"] : undefined;
    const format = isTable(definition) && typeof definition["format"] === "string" ? definition["format"] : undefined;
    let items: unknown[];
    let json: string | undefined;
    if (filePath !== undefined && format !== undefined) {
      if (format !== "json") throw configError(store, `'${format}' is not a valid format for the config store. Supported format(s) are: 'json'.`, { toml });
      json = resolveFrom(base, filePath);
      items = await readJsonStore(store, json, toml);
    } else if (filePath === undefined && format === undefined) {
      if (!Array.isArray(definition)) throw configError(store, "There is no array of objects for the given store.", { toml });
      items = definition;
    } else {
      throw configError(store, "When using a top-level 'file' to load data, both 'file' and 'format' must be set.", { toml });
    }

    const entries: FastlyKvEntry[] = [];
    for (const [index, item] of items.entries()) {
      const place: Place = { toml, ...(json === undefined ? {} : { json }), entry: index + 1 };
      if (!isTable(item)) throw configError(store, "There is an object in the given store that is not a table of keys.", place);
      if (!Object.hasOwn(item, "key")) throw configError(store, "The `key` key for an object is not set. It must be used.", place);
      const key = item["key"];
      if (typeof key !== "string") throw configError(store, "The `key` value for an object is not a string.", place);
      const at: Place = { toml, ...(json === undefined ? {} : { json }), key };
      // `path` is the older name of `file`; `file` wins when both are there.
      const file = Object.hasOwn(item, "file") ? item["file"] : json === undefined && Object.hasOwn(item, "path") ? item["path"] : undefined;
      const data = item["data"];
      if (file === undefined && data === undefined) throw configError(store, `The \`file\` or \`data\` key for the object \`${key}\` is not set. One must be used.`, at);
      if (file !== undefined && data !== undefined) throw configError(store, `The \`file\` and \`data\` keys for the object \`${key}\` are set. Only one can be used.`, at);
      let value: Uint8Array;
      if (file !== undefined) {
        if (typeof file !== "string") throw configError(store, `The \`file\` value for the object \`${key}\` is not a string.`, at);
        const source = resolveFrom(base, file);
        try {
          value = await readBytes(source);
        } catch (error) {
          throw configError(store, `cannot read '${source}' (the \`file\` of the object \`${key}\`): ${ioReason(error)}. Relative paths resolve against ${base}.`, at);
        }
      } else {
        if (typeof data !== "string") throw configError(store, `The \`data\` value for the object \`${key}\` is not a string.`, at);
        value = new TextEncoder().encode(data);
      }
      const metadata = item["metadata"];
      if (metadata !== undefined && typeof metadata !== "string") throw configError(store, `The \`metadata\` value for the object \`${key}\` is not a string.`, at);
      const keyProblem = viceroyKeyError(key);
      if (keyProblem) throw configError(store, `Invalid \`key\` value used: ${keyProblem}.`, at);
      entries.push(metadata === undefined ? { key, value } : { key, value, metadata });
    }
    stores.set(store, entries);
  }
  return stores;
}

export function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}

/** A whole-store JSON file, turned into inline-shaped items (Viceroy's order of checks). */
async function readJsonStore(store: string, json: string, toml: string): Promise<Table[]> {
  let text: string;
  try {
    text = await fsp.readFile(json, "utf8");
  } catch (error) {
    throw configError(store, `cannot read the store file '${json}': ${ioReason(error)}. Relative paths resolve against ${dirname(toml)}.`, { toml });
  }
  const wrongFile = () => configError(store, "The file is of the wrong format. The file is expected to contain a single JSON Object.", { toml, json });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw wrongFile();
  }
  if (!isTable(parsed)) throw wrongFile();
  const items: Table[] = [];
  for (const [key, entry] of Object.entries(parsed)) {
    const at: Place = { toml, json, key };
    const wrongValue = (why: string) => configError(store, `Item value under key named '${key}' is of the wrong format. ${why}`, at);
    if (typeof entry === "string") {
      items.push({ key, data: entry });
      continue;
    }
    if (!isTable(entry)) throw wrongValue("The value is expected to be a JSON String.");
    const item: Table = { key };
    for (const field of ["data", "file", "metadata"]) {
      if (!Object.hasOwn(entry, field)) continue;
      if (typeof entry[field] !== "string") throw wrongValue("The value is expected to be a JSON String.");
      item[field] = entry[field];
    }
    if (item["data"] !== undefined && item["file"] !== undefined) throw wrongValue("'data' and 'file' are mutually exclusive.");
    if (item["data"] === undefined && item["file"] === undefined) throw wrongValue("One of 'data' or 'file' must be present.");
    items.push(item);
  }
  return items;
}

/**
 * Defines every store of a `fastly.toml` in a registry (default: the active one): KV stores, seeded with
 * their entries (overwrite mode, no TTL), config stores and secret stores. Resolves the KV store names,
 * in file order.
 * Everything is read and checked before any store is defined or any entry written.
 */
export async function loadFastlyToml(path: string, options: LoadFastlyTomlOptions = {}): Promise<string[]> {
  const service = await readFastlyService(path);
  const stores = service.kvStores;
  const toml = resolve(path);
  const registry = options.registry ?? getRegistry();
  if (!options.replace) {
    checkComputeStoresFree(service, registry, "loadFastlyToml");
    for (const name of stores.keys()) {
      if (registry.hasStore(name)) {
        throw new EdgeKvError(`store '${name}' from ${toml} is already defined. Pass { replace: true } to loadFastlyToml, or removeStore('${name}') first.`);
      }
    }
  }
  // Limits are per store: check every entry against the settings its store will get before
  // defining any store or writing any entry.
  for (const [name, entries] of stores) {
    const { maxMetadataBytes, maxValueBytes } = registry.storeSettings(name);
    for (const entry of entries) {
      const metadataBytes = entry.metadata === undefined ? 0 : utf8ByteLength(entry.metadata);
      if (metadataBytes > maxMetadataBytes) {
        throw configError(name, `The \`metadata\` of the object \`${entry.key}\` is ${metadataBytes} bytes; this store takes at most ${maxMetadataBytes} (raise maxMetadataBytes to load it).`, { toml, key: entry.key });
      }
      if (entry.value.byteLength > maxValueBytes) {
        throw configError(name, `The value of the object \`${entry.key}\` is ${entry.value.byteLength} bytes; a value can be at most ${maxValueBytes}.`, { toml, key: entry.key });
      }
    }
  }
  defineComputeStores(service, registry);
  const admins = [...stores.keys()].map((name) => {
    const driver = options.createDriver?.(name);
    return registry.defineStore(name, { ...(driver === undefined ? {} : { driver }), replace: options.replace === true });
  });
  for (const admin of admins) {
    for (const entry of stores.get(admin.name)!) {
      await admin.put(entry.key, entry.value, entry.metadata === undefined ? {} : { metadata: entry.metadata });
    }
  }
  return [...stores.keys()];
}
