/**
 * `event.client.geo` as Fastly's local server (Viceroy, src/config/geolocation.rs) answers it: the
 * record configured for the client's address in `[local_server.geolocation]`, else — for a loopback
 * address, unless `use_default_loopback = false` — Viceroy's default record (San Francisco), else null.
 * Addresses match as IP addresses (`::1` and `0:0:0:0:0:0:0:1` are one address), as Rust's `IpAddr`
 * compares them; the keys of a record come out sorted, as serde_json writes them.
 *
 * Web-standard. The fastly.toml side (reading the section, the JSON file) is in
 * src/node/fastly-toml-geolocation.ts; the Vitest plugin hands its records to `setDefaultGeolocation`.
 */
import { EdgeKvError } from "../errors.js";
import { VICEROY_LOOPBACK_GEO } from "./messages.js";
import { processHook } from "../compute/process-hook.js";

export type GeoRecord = Record<string, unknown>;

/** `[local_server.geolocation]` as data. */
export interface GeolocationOptions {
  /** Viceroy's `use_default_loopback`: a loopback client without a record of its own gets the default record. Default true. */
  useDefaultLoopback?: boolean;
  /** Address (IPv4 or IPv6) → its record. */
  addresses?: Record<string, GeoRecord>;
}

/** Gives the record of a client address (null: none). */
export type GeolocationLookup = (address: string | null) => GeoRecord | null;

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Rust's `IpAddr::is_loopback`: 127.0.0.0/8 and ::1 (an IPv4-mapped ::ffff:127.x address is not). */
export function isLoopback(address: string | null): boolean {
  if (address === null) return false;
  return LOOPBACK_V4.test(address) || canonicalIp(address) === "::1";
}

const IPV4 = /^(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}$/;

/**
 * The address in one spelling per IP address, or undefined when Rust's `IpAddr::from_str` would refuse
 * it: IPv4 as four decimal numbers up to 255 without leading zeros; IPv6 in any form (an embedded IPv4
 * tail included, no zone, no brackets), written back as the WHATWG URL parser writes it (lowercase, the
 * longest run of zero groups as `::`).
 */
export function canonicalIp(text: string): string | undefined {
  if (IPV4.test(text)) return text.split(".").every((part) => Number(part) <= 255) ? text : undefined;
  if (!text.includes(":") || !/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  try {
    const hostname = new URL(`http://[${text}]/`).hostname;
    return hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** serde_json's text of a record: object keys sorted at every level. */
function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item === null || typeof item !== "object" || Array.isArray(item)) return item;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(item).sort()) sorted[key] = (item as Record<string, unknown>)[key];
    return sorted;
  });
}

/** A record as the runtime hands it to the app: parsed from the host's JSON, so a new object every time. */
export function geoRecord(json: string | null): GeoRecord | null {
  return json === null ? null : (JSON.parse(json) as GeoRecord);
}

const LOOPBACK_JSON = sortedJson(VICEROY_LOOPBACK_GEO);

/**
 * The lookup for `options` (checked; throws EdgeKvError naming `where`): configured addresses first,
 * then Viceroy's default record for loopback addresses. Returns JSON text (null: no record).
 */
export function geolocationTable(options: GeolocationOptions | undefined, where: string): (address: string | null) => string | null {
  if (options === undefined) return (address) => (isLoopback(address) ? LOOPBACK_JSON : null);
  if (options === null || typeof options !== "object") throw new EdgeKvError(`${where} must be { useDefaultLoopback?, addresses? } or a function (address) => record, got ${options === null ? "null" : typeof options}`);
  for (const key of Object.keys(options)) {
    if (key !== "useDefaultLoopback" && key !== "addresses") throw new EdgeKvError(`${where}: unknown field "${key}". Fields are: useDefaultLoopback, addresses`);
  }
  const { useDefaultLoopback = true, addresses = {} } = options;
  if (typeof useDefaultLoopback !== "boolean") throw new EdgeKvError(`${where}.useDefaultLoopback must be true or false, got ${typeof useDefaultLoopback}`);
  if (addresses === null || typeof addresses !== "object" || Array.isArray(addresses)) throw new EdgeKvError(`${where}.addresses must be an object mapping IP addresses to records`);
  const records = new Map<string, string>();
  for (const [address, record] of Object.entries(addresses)) {
    const ip = canonicalIp(address);
    if (ip === undefined) throw new EdgeKvError(`${where}.addresses: '${address}' is not an IP address (IPv4 like 203.0.113.7, or IPv6 like 2001:db8::1)`);
    if (record === null || typeof record !== "object" || Array.isArray(record)) throw new EdgeKvError(`${where}.addresses['${address}'] must be a record object like { city: "Oslo" }`);
    records.set(ip, sortedJson(record));
  }
  return (address) => {
    const ip = address === null ? undefined : canonicalIp(address);
    const configured = ip === undefined ? undefined : records.get(ip);
    if (configured !== undefined) return configured;
    return useDefaultLoopback && isLoopback(address) ? LOOPBACK_JSON : null;
  };
}

/** A lookup given as a function: its record, written as the host would send it (sorted keys; null for none). */
export function lookupAsJson(lookup: GeolocationLookup, where: string): (address: string | null) => string | null {
  return (address) => {
    const record = lookup(address);
    if (record === null || record === undefined) return null;
    if (typeof record !== "object" || Array.isArray(record)) throw new EdgeKvError(`${where} returned ${Array.isArray(record) ? "an array" : typeof record}; it must return a record object or null`);
    return sortedJson(record);
  };
}

const defaultHook = processHook<GeolocationOptions | GeolocationLookup>("edge-kv.host.default-geolocation");

/**
 * The geolocation apps loaded without a `geolocation` option use (the Vitest plugin sets fastly.toml's).
 * Undefined puts back Viceroy's default (loopback clients get the default record).
 */
export function setDefaultGeolocation(geolocation: GeolocationOptions | GeolocationLookup | undefined): void {
  defaultHook.set(geolocation ?? null);
}

export function defaultGeolocation(): GeolocationOptions | GeolocationLookup | undefined {
  return defaultHook.get();
}
