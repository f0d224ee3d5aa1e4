/**
 * `[local_server.config_stores]` (alias `[local_server.dictionaries]`) of a fastly.toml, as Viceroy reads
 * them: per store `format = "inline-toml"` with a `contents` table, or `format = "json"` with a `file`
 * holding one JSON object of strings. Checks run in Viceroy's order with its texts
 * (`invalid configuration for '<store>': <text>`), followed by where. Relative `file` paths resolve
 * against the folder of the fastly.toml (Viceroy: its working directory).
 */
import type { EdgeKvError } from "../errors.js";
import { configStoreNameError } from "../compute/rules.js";
import { ConfigStoreLimits } from "../compute/resources.js";
import { configError, isTable, readJsonObject, resolveFrom, type Place, type Table } from "./fastly-toml-common.js";

/** The names of the section (Viceroy: `config_stores` is an alias of `dictionaries`; one of them at most). */
export const CONFIG_STORE_SECTIONS = ["config_stores", "dictionaries"] as const;

function characters(text: string): number {
  return [...text].length;
}

/** Every config store of the section (a table checked by the caller): name → items, in file order. Nothing is defined. */
export async function readConfigStoresSection(definitions: Table, toml: string, base: string): Promise<Map<string, Record<string, string>>> {
  const stores = new Map<string, Record<string, string>>();
  for (const [store, definition] of Object.entries(definitions)) {
    const fail = (text: string, place: Partial<Place> = {}) => configError(store, text, { toml, ...place });
    if (!isTable(definition)) throw fail("definition was not provided as a TOML table");
    if (!Object.hasOwn(definition, "format")) throw fail("missing 'format' field");
    const format = definition["format"];
    if (typeof format !== "string") throw fail("'format' field was not a string");
    const rest = new Set(Object.keys(definition).filter((key) => key !== "format"));
    let items: Record<string, string>;
    let json: string | undefined;
    if (format === "inline-toml") {
      rest.delete("contents");
      if (!Object.hasOwn(definition, "contents")) throw fail("missing 'contents' field");
      const contents = definition["contents"];
      if (!isTable(contents)) throw fail("'contents' was not provided as a TOML table");
      items = {};
      for (const [key, value] of Object.entries(contents)) {
        if (typeof value !== "string") throw fail("inline dictionary value was not a string", { key });
        items[key] = value;
      }
    } else if (format === "json") {
      rest.delete("file");
      if (!Object.hasOwn(definition, "file")) throw fail("missing 'file' field");
      const file = definition["file"];
      if (typeof file !== "string") throw fail("'file' field was not a string");
      if (file === "") throw fail("'file' field is empty");
      json = resolveFrom(base, file);
      items = await readJsonItems(json, fail);
    } else if (format === "") {
      throw fail("'format' field is empty");
    } else {
      throw fail(`'${format}' is not a valid format for the dictionary. Supported format(s) are: 'inline-toml', 'json'.`);
    }
    for (const [key, value] of Object.entries(items)) {
      const at = { key, ...(json === undefined ? {} : { json }) };
      if (characters(key) > ConfigStoreLimits.MAX_KEY_CHARACTERS) throw fail(`Item key named '${key}' is too long, max size is ${ConfigStoreLimits.MAX_KEY_CHARACTERS}`, at);
      if (characters(value) > ConfigStoreLimits.MAX_VALUE_CHARACTERS) throw fail(`Item value named '${key}' is too long, max size is ${ConfigStoreLimits.MAX_VALUE_CHARACTERS}`, at);
    }
    const [unknown] = rest;
    if (unknown !== undefined) throw fail(`unrecognized key '${unknown}'`);
    // Viceroy does not check store names; edge-kv refuses one that ConfigStore and Dictionary could never open.
    const nameProblem = configStoreNameError("ConfigStore", store);
    if (nameProblem) throw fail(`${nameProblem.replace("ConfigStore constructor: ", "")}, so ConfigStore and Dictionary could never open this store. Rename it.`);
    stores.set(store, items);
  }
  return stores;
}

async function readJsonItems(json: string, fail: (text: string, place?: Partial<Place>) => EdgeKvError): Promise<Record<string, string>> {
  const parsed = await readJsonObject(json, {
    unreadable: (reason) => fail(`cannot read '${json}': ${reason}.`, { json }),
    invalid: (text) => fail(text, { json }),
    wrongFile: "The file is of the wrong format. The file is expected to contain a single JSON Object",
  });
  const items: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== "string") throw fail(`Item value under key named '${key}' is of the wrong format. The value is expected to be a JSON String`, { json, key });
    items[key] = value;
  }
  return items;
}
