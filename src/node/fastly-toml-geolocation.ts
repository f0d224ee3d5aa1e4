/**
 * `[local_server.geolocation]` of a fastly.toml, as Viceroy reads it (src/config/geolocation.rs):
 *
 * ```toml
 * [local_server.geolocation]
 * use_default_loopback = false         # default true: loopback clients get Viceroy's default record
 * format = "inline-toml"               # or "json" with file = "geo.json"; no format: no addresses
 * [local_server.geolocation.addresses."203.0.113.7"]
 * as_name = "Example, Inc"
 * city = "Oslo"
 * ```
 *
 * Checks run in Viceroy's order with its texts (`invalid configuration for 'geolocation_mapping':
 * <text>`), then where. Inline values must be strings, integers, floats or booleans; a JSON file maps
 * addresses to objects of any JSON. Viceroy re-reads a JSON file at every lookup (edits apply at once);
 * `edge-kv dev` does too (geolocationOption). Keys Viceroy does not read are reported as warnings.
 */
import { readFileSync } from "node:fs";
import { EdgeKvError } from "../errors.js";
import { canonicalIp, geoRecord, geolocationTable, type GeoRecord, type GeolocationLookup, type GeolocationOptions } from "../host/geolocation.js";
import { configError, ioReason, isTable, readJsonObject, resolveFrom, type Place, type Table } from "./fastly-toml-common.js";

export interface FastlyGeolocation {
  useDefaultLoopback: boolean;
  /** Address (one spelling per IP address) → record: the inline table, or the JSON file as read at start. */
  addresses: Record<string, GeoRecord>;
  /** `format = "json"`: the file (absolute path), which Viceroy reads again at every lookup. */
  file?: string;
}

/** Viceroy's name for the section in its messages. */
const NAME = "geolocation_mapping";
const WRONG_FILE = "The file is of the wrong format. The file is expected to contain a single JSON Object";
/** Rust's AddrParseError text. */
const BAD_ADDRESS = "IP address not valid: 'invalid IP address syntax'";
const WRONG_ENTRY = "inline geolocation value was not a string";

/** Reads the section (a table, checked by the caller). Unknown keys go to `warnings`. */
export async function readGeolocationSection(section: Table, toml: string, base: string, warnings: string[]): Promise<FastlyGeolocation> {
  const fail = (text: string, place: Partial<Place> = {}) => configError(NAME, text, { toml, ...place });
  const loopback = section["use_default_loopback"];
  if (loopback !== undefined && typeof loopback !== "boolean") throw fail("definition was not provided as a TOML table"); // Viceroy's text for this case
  const result: FastlyGeolocation = { useDefaultLoopback: loopback ?? true, addresses: {} };
  const known = new Set(["use_default_loopback", "format"]);
  const format = section["format"];
  if (format !== undefined) {
    if (typeof format !== "string") throw fail("'format' field was not a string");
    if (format === "inline-toml") {
      known.add("addresses");
      if (!Object.hasOwn(section, "addresses")) throw fail("missing 'addresses' field");
      const addresses = section["addresses"];
      if (!isTable(addresses)) throw fail("'addresses' was not provided as a TOML table");
      for (const [address, record] of Object.entries(addresses)) {
        const ip = canonicalIp(address);
        if (ip === undefined) throw fail(BAD_ADDRESS, { key: address });
        if (!isTable(record)) throw fail(WRONG_ENTRY, { key: address });
        for (const [field, value] of Object.entries(record)) {
          const usable = typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value)) || typeof value === "bigint";
          if (!usable) throw fail(WRONG_ENTRY, { key: `${address}.${field}` });
        }
        result.addresses[ip] = Object.fromEntries(Object.entries(record).map(([field, value]) => [field, typeof value === "bigint" ? Number(value) : value]));
      }
    } else if (format === "json") {
      known.add("file");
      if (!Object.hasOwn(section, "file")) throw fail("missing 'file' field");
      const file = section["file"];
      if (typeof file !== "string") throw fail("'file' field was not a string");
      if (file === "") throw fail("'file' field is empty");
      const json = resolveFrom(base, file);
      const parsed = await readJsonObject(json, {
        unreadable: (reason) => fail(`cannot read '${json}': ${reason}.`, { json }),
        invalid: (text) => fail(text, { json }),
        wrongFile: WRONG_FILE,
      });
      result.addresses = jsonAddresses(parsed, (text, key) => fail(text, { json, key }));
      result.file = json;
    } else if (format === "") {
      throw fail("'format' field is empty");
    } else {
      throw fail(`'${format}' is not a valid format for the geolocation mapping. Supported format(s) are: 'inline-toml', 'json'.`);
    }
  }
  for (const key of Object.keys(section)) {
    if (!known.has(key)) warnings.push(`edge-kv: ${toml}: unknown key '${key}' in [local_server.geolocation] is ignored (Viceroy ignores it too)`);
  }
  return result;
}

function jsonAddresses(parsed: Table, fail: (text: string, key: string) => EdgeKvError): Record<string, GeoRecord> {
  const addresses: Record<string, GeoRecord> = {};
  for (const [address, record] of Object.entries(parsed)) {
    const ip = canonicalIp(address);
    if (ip === undefined) throw fail(BAD_ADDRESS, address);
    if (!isTable(record)) throw fail(WRONG_ENTRY, address);
    addresses[ip] = record;
  }
  return addresses;
}

/**
 * The section as loadApp's `geolocation` option: the records as they are, or — for a JSON file — a
 * lookup that reads the file again every time (as Viceroy does), so edits apply at once. A file that has
 * become unreadable or wrong gives no record; `onError` hears why, once per distinct problem (Viceroy
 * panics there).
 */
export function geolocationOption(geolocation: FastlyGeolocation, onError: (message: string) => void): GeolocationOptions | GeolocationLookup {
  const { useDefaultLoopback, file } = geolocation;
  if (file === undefined) return { useDefaultLoopback, addresses: geolocation.addresses };
  let lastProblem: string | undefined;
  return (address) => {
    let addresses: Record<string, GeoRecord> = {};
    try {
      addresses = readAddressesNow(file);
      lastProblem = undefined;
    } catch (error) {
      const message = (error as Error).message;
      if (message !== lastProblem) onError(message);
      lastProblem = message;
    }
    return geoRecord(geolocationTable({ useDefaultLoopback, addresses }, "[local_server.geolocation]")(address));
  };
}

function readAddressesNow(json: string): Record<string, GeoRecord> {
  const fail = (text: string, key?: string) =>
    new EdgeKvError(`[local_server.geolocation] ${json}${key === undefined ? "" : `, key '${key}'`}: ${text}; no geolocation records until it is fixed`);
  let text: string;
  try {
    text = readFileSync(json, "utf8");
  } catch (error) {
    throw fail(`cannot read it: ${ioReason(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw fail(WRONG_FILE);
  }
  if (!isTable(parsed)) throw fail(WRONG_FILE);
  return jsonAddresses(parsed, fail);
}
