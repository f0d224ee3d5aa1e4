/**
 * `[local_server.secret_stores]` of a fastly.toml, as Viceroy reads it: per store an array of
 * `{ key, data | file | env }` tables (inline or `[[local_server.secret_stores.NAME]]`), or
 * `{ file, format = "json" }` naming one JSON object of strings. `file` secrets are raw bytes; `env`
 * secrets come from this process's environment (unset: empty). Checks in Viceroy's order with its texts;
 * relative paths resolve against the folder of the fastly.toml (Viceroy: its working directory).
 */
import { secretKeyError, secretStoreNameError } from "../compute/rules.js";
import { configError, ioReason, isTable, readBytes, readJsonObject, resolveFrom, typeName, type Place, type Table } from "./fastly-toml-common.js";

export const SECRET_STORE_SECTIONS = ["secret_stores"] as const;

/** Every secret store of the section (a table checked by the caller): name → secret name → bytes, in file order. Nothing is defined. */
export async function readSecretStoresSection(
  definitions: Table,
  toml: string,
  base: string,
  environment: Record<string, string | undefined> = process.env,
): Promise<Map<string, Record<string, Uint8Array>>> {
  const stores = new Map<string, Record<string, Uint8Array>>();
  for (const [store, definition] of Object.entries(definitions)) {
    const fail = (text: string, place: Partial<Place> = {}) => configError(store, text, { toml, ...place });
    if (secretStoreNameError(store) !== null) throw fail(`Invalid secret store name: ${store}`);
    const file = isTable(definition) && typeof definition["file"] === "string" ? definition["file"] : undefined;
    const format = isTable(definition) && typeof definition["format"] === "string" ? definition["format"] : undefined;
    let items: unknown[];
    let json: string | undefined;
    if (file !== undefined && format !== undefined) {
      if (format !== "json") throw fail(`'${format}' is not a valid format for the secret store. Supported format(s) are: 'json'.`);
      json = resolveFrom(base, file);
      items = await readJsonSecrets(json, fail);
    } else if (file === undefined && format === undefined) {
      if (!Array.isArray(definition)) throw fail(`There is no array of objects for the given store.${isTable(definition) ? "" : ` (got ${typeName(definition)})`}`);
      items = definition;
    } else {
      throw fail("When using a top-level 'file' to load data, both 'file' and 'format' must be set.");
    }
    const secrets: Record<string, Uint8Array> = {};
    for (const [index, item] of items.entries()) {
      const place: Partial<Place> = { entry: index + 1, ...(json === undefined ? {} : { json }) };
      if (!isTable(item)) throw fail("There is an object in the given store that is not a table of keys.", place);
      if (!Object.hasOwn(item, "key")) throw fail("The `key` key for an object is not set. It must be used.", place);
      const key = item["key"];
      if (typeof key !== "string") throw fail("The `key` value for an object is not a string.", place);
      const at: Partial<Place> = { key, ...(json === undefined ? {} : { json }) };
      if (secretKeyError(key) !== null) throw fail(`Invalid secret name: ${key}`, at);
      const sources = (["file", "data", "env"] as const).filter((source) => Object.hasOwn(item, source));
      if (sources.length === 0) throw fail(`None of \`file\`, \`data\`, or \`env\` keys for the object \`${key}\` is set. One must be used.`, at);
      if (sources.length > 1) throw fail(`More than one of \`file\`, \`data\`, or \`env\` keys for the object \`${key}\` are set. Only one can be used.`, at);
      const source = sources[0]!;
      const value = item[source];
      if (typeof value !== "string") throw fail(`The \`${source}\` value for the object \`${key}\` is not a string.`, at);
      if (source === "file") {
        const path = resolveFrom(base, value);
        try {
          secrets[key] = await readBytes(path);
        } catch (error) {
          throw fail(`cannot read '${path}' (the \`file\` of the secret \`${key}\`): ${ioReason(error)}. Relative paths resolve against ${base}.`, at);
        }
      } else if (source === "data") {
        secrets[key] = new TextEncoder().encode(value);
      } else {
        secrets[key] = new TextEncoder().encode(environment[value] ?? "");
      }
    }
    stores.set(store, secrets);
  }
  return stores;
}

async function readJsonSecrets(json: string, fail: (text: string, place?: Partial<Place>) => Error): Promise<Array<{ key: string; data: string }>> {
  const wrongFile = "The file is of the wrong format. The file is expected to contain a single JSON object.";
  const parsed = await readJsonObject(json, {
    unreadable: (reason) => fail(`cannot read '${json}': ${reason}.`, { json }),
    invalid: (text) => fail(text, { json }),
    wrongFile,
  });
  if (Object.values(parsed).some((value) => typeof value !== "string")) throw fail(wrongFile, { json });
  return Object.entries(parsed as Record<string, string>).map(([key, data]) => ({ key, data }));
}
