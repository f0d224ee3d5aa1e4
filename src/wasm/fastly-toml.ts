/**
 * The `fastly.toml` sections a hosted guest needs besides stores (which the registry loads):
 * `[local_server.backends]` and `[local_server.geolocation]`, as Viceroy reads them
 * (`src/config/backends.rs`, `src/config/geolocation.rs`, 274febd): a backend is `url` plus optional
 * `override_host`; geolocation is `use_default_loopback` plus `format = "inline-toml"` addresses or
 * `format = "json"` with a `file`.
 */
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { parse } from "smol-toml";
import { EdgeKvError } from "../errors.js";
import { configError, isTable, type Table } from "../node/fastly-toml-common.js";
import type { GeolocationConfig } from "./protocol.js";

export interface GuestConfig {
  backends: Record<string, { url: string; overrideHost?: string }>;
  geolocation: GeolocationConfig;
}

export async function readGuestConfig(path: string): Promise<GuestConfig> {
  const file = resolve(path);
  let toml: Table;
  try {
    toml = parse(await readFile(file, "utf8")) as Table;
  } catch (error) {
    throw new EdgeKvError(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const fail = (what: string) => new EdgeKvError(`${file}: ${what}`);
  const invalid = (name: string, text: string) => configError(name, text, { toml: file });
  const local = isTable(toml["local_server"]) ? toml["local_server"] : {};
  const backends: GuestConfig["backends"] = {};
  const backendTables = local["backends"];
  if (backendTables !== undefined) {
    if (!isTable(backendTables)) throw fail("[local_server.backends] must be a table of backends");
    for (const [name, definition] of Object.entries(backendTables)) {
      if (!isTable(definition)) throw invalid(name, "definition was not provided as a TOML table");
      const url = definition["url"];
      if (typeof url !== "string") throw invalid(name, "missing 'url' field");
      try {
        new URL(url);
      } catch {
        throw invalid(name, `invalid url ${JSON.stringify(url)}`);
      }
      const overrideHost = definition["override_host"];
      if (overrideHost !== undefined && typeof overrideHost !== "string") throw invalid(name, "'override_host' must be a string");
      backends[name] = overrideHost === undefined ? { url } : { url, overrideHost };
    }
  }
  const geolocation: GeolocationConfig = { useDefaultLoopback: true, addresses: {} };
  const geo = local["geolocation"];
  if (geo !== undefined) {
    if (!isTable(geo)) throw fail("[local_server.geolocation] must be a table");
    const loopback = geo["use_default_loopback"];
    if (loopback !== undefined && typeof loopback !== "boolean") throw invalid("geolocation", "'use_default_loopback' must be a boolean");
    geolocation.useDefaultLoopback = loopback ?? true;
    const format = geo["format"];
    let addresses: unknown;
    if (format === "inline-toml") addresses = geo["addresses"];
    else if (format === "json") {
      if (typeof geo["file"] !== "string") throw invalid("geolocation", "missing 'file' field");
      addresses = JSON.parse(await readFile(resolve(dirname(file), geo["file"]), "utf8"));
    } else if (format !== undefined) throw invalid("geolocation", `'${String(format)}' is not a valid format. Supported format(s) are: 'inline-toml', 'json'.`);
    if (addresses !== undefined) {
      if (!isTable(addresses)) throw invalid("geolocation", "addresses must be a table of IP address → record");
      for (const [address, record] of Object.entries(addresses)) {
        if (!isTable(record)) throw invalid("geolocation", `the record of ${address} is not a table`);
        geolocation.addresses[address] = record;
      }
    }
  }
  return { backends, geolocation };
}
