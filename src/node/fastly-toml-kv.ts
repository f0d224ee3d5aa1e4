/**
 * The KV store section of `fastly.toml`: `[local_server.kv_stores]` (or its older names
 * `object_stores` / `object_store`), in the three shapes Viceroy accepts — inline
 * `[[local_server.kv_stores.NAME]]` entries, `NAME = []`, and whole-store JSON files
 * `NAME = { file = "...", format = "json" }`. Checks run in Viceroy's order with Viceroy's texts.
 */
import { dirname } from "node:path";
import { storeNameError } from "../rules.js";
import { utf8ByteLength } from "../utf8.js";
import { configError, ioReason, isTable, readBytes, readJsonObject, resolveFrom, type Place, type Table } from "./fastly-toml-common.js";

export interface FastlyKvEntry {
  key: string;
  value: Uint8Array;
  metadata?: string;
}

/** The section names Viceroy accepts for KV stores (one of them at most). */
export const KV_STORE_SECTIONS = ["kv_stores", "object_stores", "object_store"] as const;

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

/** Every store of the section (a table checked by the caller): store name → its entries in file order. */
export async function readKvStoresSection(definitions: Table, toml: string, base: string): Promise<Map<string, FastlyKvEntry[]>> {
  const stores = new Map<string, FastlyKvEntry[]>();
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
    stores.set(store, await readEntries(store, items, { toml, base, ...(json === undefined ? {} : { json }) }));
  }
  return stores;
}

async function readEntries(store: string, items: unknown[], where: { toml: string; base: string; json?: string }): Promise<FastlyKvEntry[]> {
  const { toml, base, json } = where;
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
  return entries;
}

/** A whole-store JSON file, turned into inline-shaped items (Viceroy's order of checks). */
async function readJsonStore(store: string, json: string, toml: string): Promise<Table[]> {
  const parsed = await readJsonObject(json, {
    unreadable: (reason) => configError(store, `cannot read the store file '${json}': ${reason}. Relative paths resolve against ${dirname(toml)}.`, { toml }),
    invalid: (text) => configError(store, text, { toml, json }),
    wrongFile: "The file is of the wrong format. The file is expected to contain a single JSON Object.",
  });
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
