/**
 * Config stores, secret stores and `fastly:env` values for guests: the registry's (the same ones
 * `ConfigStore`, `SecretStore` and `env()` read in the JS host), with those given to `loadWasmApp`
 * taking precedence.
 */
import type { KVRegistry } from "../registry.js";

export interface ComputeStores {
  /** Config store (or dictionary) `name`; undefined when it does not exist. */
  config(name: string): { get(key: string): string | null } | undefined;
  secret(name: string): { get(key: string): Uint8Array | null } | undefined;
  /** The environment variables a guest sees: Viceroy's FASTLY_* defaults and the registry's values. */
  env(): Record<string, string>;
}

export interface ComputeStoreOptions {
  configStores?: Record<string, Record<string, string>>;
  secretStores?: Record<string, Record<string, string | Uint8Array>>;
  env?: Record<string, string>;
}

const encoder = new TextEncoder();

export function computeStores(registry: () => KVRegistry, options: ComputeStoreOptions = {}): ComputeStores {
  return {
    config(name) {
      const given = options.configStores?.[name];
      if (given) return { get: (key) => (Object.hasOwn(given, key) ? given[key]! : null) };
      return registry().lookupConfigStore(name);
    },
    secret(name) {
      const given = options.secretStores?.[name];
      if (given) {
        return {
          get: (key) => {
            if (!Object.hasOwn(given, key)) return null;
            const value = given[key]!;
            return typeof value === "string" ? encoder.encode(value) : value;
          },
        };
      }
      return registry().lookupSecretStore(name);
    },
    env: () => ({ ...registry().env.values(), ...options.env }),
  };
}
