/**
 * Config stores, secret stores and `fastly:env` values for guests: the registry's own (PLAN I3:
 * `registry.configStore(name)`, `registry.secretStore(name)`, `registry.env`) when the registry has
 * them, plus those given to `loadWasmApp`. This adapter is the only place that knows the registry's
 * shape for them.
 */
import type { KVRegistry } from "../registry.js";

export interface ComputeStores {
  /** The value of `key` in config store (or dictionary) `name`; undefined when the store does not exist. */
  config(name: string): { get(key: string): string | null } | undefined;
  secret(name: string): { get(key: string): Uint8Array | null } | undefined;
  /** Environment variables a guest sees (Viceroy's FASTLY_* defaults, overridden). */
  env(): Record<string, string>;
}

export interface ComputeStoreOptions {
  configStores?: Record<string, Record<string, string>>;
  secretStores?: Record<string, Record<string, string | Uint8Array>>;
  env?: Record<string, string>;
}

/** Viceroy's FASTLY_* values (`src/linking.rs` make_wasi_ctx); FASTLY_TRACE_ID is set per instance. */
export const VICEROY_ENV: Readonly<Record<string, string>> = {
  FASTLY_CACHE_GENERATION: "0",
  FASTLY_CUSTOMER_ID: "0000000000000000000000",
  FASTLY_POP: "XXX",
  FASTLY_REGION: "Somewhere",
  FASTLY_SERVICE_ID: "0000000000000000000000",
  FASTLY_SERVICE_VERSION: "0",
  FASTLY_HOSTNAME: "localhost",
  FASTLY_IS_STAGING: "0",
};

interface RegistryEnvironment {
  configStore?(name: string): { get(key: string): string | null | undefined } | undefined;
  secretStore?(name: string): { get(key: string): unknown } | undefined;
  env?: { values?(): Record<string, string> };
}

const encoder = new TextEncoder();

function attempt<T>(get: () => T): T | undefined {
  try {
    return get();
  } catch {
    return undefined; // the registry throws for an unknown store
  }
}

function secretBytes(value: unknown): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return encoder.encode(value);
  if (value instanceof Uint8Array) return value;
  if (typeof value === "object" && typeof (value as { rawBytes?: unknown }).rawBytes === "function") {
    return (value as { rawBytes(): Uint8Array }).rawBytes();
  }
  if (typeof value === "object" && typeof (value as { plaintext?: unknown }).plaintext === "function") {
    return encoder.encode((value as { plaintext(): string }).plaintext());
  }
  return null;
}

export function computeStores(registry: () => KVRegistry, options: ComputeStoreOptions = {}): ComputeStores {
  return {
    config(name) {
      const given = options.configStores?.[name];
      if (given) return { get: (key) => (Object.hasOwn(given, key) ? given[key]! : null) };
      const env = registry() as unknown as RegistryEnvironment;
      const store = env.configStore ? attempt(() => env.configStore!(name)) : undefined;
      if (!store) return undefined;
      return { get: (key) => store.get(key) ?? null };
    },
    secret(name) {
      const given = options.secretStores?.[name];
      if (given) return { get: (key) => (Object.hasOwn(given, key) ? secretBytes(given[key]) : null) };
      const env = registry() as unknown as RegistryEnvironment;
      const store = env.secretStore ? attempt(() => env.secretStore!(name)) : undefined;
      if (!store) return undefined;
      return { get: (key) => secretBytes(store.get(key)) };
    },
    env() {
      const fromRegistry = attempt(() => (registry() as unknown as RegistryEnvironment).env?.values?.()) ?? {};
      return { ...VICEROY_ENV, ...fromRegistry, ...options.env };
    },
  };
}
