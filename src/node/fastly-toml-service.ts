/**
 * Everything a fastly.toml gives a Compute service locally: KV stores, config stores (and their
 * `dictionaries` alias) and secret stores, read and checked in one pass, nothing defined. Used by
 * loadFastlyToml, the Vitest and esbuild plugins, edge-kv/register and the CLI.
 */
import type { KVRegistry } from "../registry.js";
import { EdgeKvError } from "../errors.js";
import { readFastlyTomlDocument, readKvStoresSection, type FastlyKvEntry } from "./fastly-toml.js";
import { readConfigStoresSection } from "./fastly-toml-config-stores.js";
import { readSecretStoresSection } from "./fastly-toml-secret-stores.js";

export interface FastlyService {
  /** The fastly.toml's absolute path. */
  toml: string;
  kvStores: Map<string, FastlyKvEntry[]>;
  /** Config store name → items (read by ConfigStore and Dictionary). */
  configStores: Map<string, Record<string, string>>;
  /** Secret store name → secret name → bytes. */
  secretStores: Map<string, Record<string, Uint8Array>>;
}

export interface ReadFastlyServiceOptions {
  /** Where `env = "VAR"` secrets are read from. Default: process.env. */
  environment?: Record<string, string | undefined>;
}

/** Reads and checks every store section of a fastly.toml. Throws EdgeKvError (Viceroy's texts, then where). */
export async function readFastlyService(path: string, options: ReadFastlyServiceOptions = {}): Promise<FastlyService> {
  const document = await readFastlyTomlDocument(path, "readFastlyService");
  return {
    toml: document.toml,
    kvStores: await readKvStoresSection(document),
    configStores: await readConfigStoresSection(document),
    secretStores: await readSecretStoresSection(document, options.environment),
  };
}

/** Fails, before anything is defined, when a config or secret store of `service` exists in `registry` already. */
export function checkComputeStoresFree(service: FastlyService, registry: KVRegistry, caller: string): void {
  for (const [kind, names, has] of [
    ["config store", service.configStores.keys(), (name: string) => registry.lookupConfigStore(name) !== undefined],
    ["secret store", service.secretStores.keys(), (name: string) => registry.lookupSecretStore(name) !== undefined],
  ] as const) {
    for (const name of names) {
      if (has(name)) throw new EdgeKvError(`${kind} '${name}' from ${service.toml} is already defined. Pass { replace: true } to ${caller}, or remove it first.`);
    }
  }
}

/** Defines the config and secret stores of `service` in `registry` (replacing same-named ones). */
export function defineComputeStores(service: FastlyService, registry: KVRegistry): void {
  for (const [name, items] of service.configStores) registry.defineConfigStore(name, items, { replace: true });
  for (const [name, secrets] of service.secretStores) registry.defineSecretStore(name, secrets, { replace: true });
}
