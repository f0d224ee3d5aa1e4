/**
 * Runs inside a bundle made with edge-kv/esbuild (web-standard, no top-level await so IIFE bundles
 * work): installs the Compute globals (unless `globals: false`), defines the KV, config and secret
 * stores the plugin embedded in the active registry, seeds them and sets the env values. Stores that
 * already exist are left alone; seeding is synchronous on the default memory driver.
 */
import { toBytes, type Bytes } from "../admin.js";
import { isPromise } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { getRegistry } from "../registry.js";
import { keyError } from "../rules.js";
import { installGlobals } from "./globals.js";
// The generated fastly:experimental module calls it: includeBytes reads the project's files.
export { useProjectFiles } from "../compute/project-files.js";
import type { ConfiguredKv } from "../testing/current.js";

export function defineEmbeddedStores(config: ConfiguredKv): void {
  const registry = getRegistry();
  if (config.globals !== false) installGlobals();
  for (const [name, items] of Object.entries(config.configStores ?? {})) {
    if (registry.lookupConfigStore(name) === undefined) registry.defineConfigStore(name, items);
  }
  for (const [name, secrets] of Object.entries(config.secretStores ?? {})) {
    if (registry.lookupSecretStore(name) === undefined) registry.defineSecretStore(name, secrets);
  }
  if (config.env) registry.env.set(config.env);
  for (const [name, store] of Object.entries(config.stores)) {
    if (registry.hasStore(name)) continue;
    const admin = registry.defineStore(name, { profile: store.profile ?? config.profile, maxMetadataBytes: store.maxMetadataBytes });
    for (const [key, item] of Object.entries(store.seed ?? {})) {
      const problem = keyError(key);
      if (problem) throw new EdgeKvError(`store '${name}' (${config.source ?? "esbuild plugin"}): seed key ${JSON.stringify(key)} is refused: ${problem}`);
      const entry = typeof item === "object" && item !== null && !ArrayBuffer.isView(item) && !(item instanceof ArrayBuffer) ? item : { value: item as Bytes };
      const metadata = "metadata" in entry && entry.metadata !== undefined ? toBytes(entry.metadata, "metadata") : null;
      const written = admin.core.write(key, {
        value: toBytes(entry.value, "value"),
        metadata: metadata !== null && metadata.byteLength > 0 ? metadata : null,
        ttlSeconds: "ttl" in entry ? entry.ttl : undefined,
      });
      if (isPromise(written)) written.catch((error: unknown) => console.error(`edge-kv: seeding '${name}' key '${key}' failed:`, error));
    }
  }
}
