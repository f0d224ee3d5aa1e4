/**
 * The Compute globals. The runtime installs `KVStore`, `KVStoreEntry`, `ConfigStore`, `Dictionary`,
 * `SecretStore`, `SecretStoreEntry` and the `fastly` object (of which edge-kv provides `fastly.env.get`)
 * on the global object; `FetchEvent`, `ClientInfo` and `ServerInfo` are not globals there, and edge-kv
 * does not install them either. `installGlobals()` does the same with edge-kv's classes and starts
 * telling Request/Response body streams from app-made ones for `KVStore.put` (compute/bodies.ts); the
 * returned function (or `uninstallGlobals()`) puts back what was there. The Vitest plugin,
 * edge-kv/register and the app host call it by default. Importing this module changes nothing by itself.
 */
import { ConfigStore, Dictionary } from "../compute/config-store.js";
import { fastly } from "../compute/env.js";
import { SecretStore, SecretStoreEntry } from "../compute/secret-store.js";
import { trackBodyStreams } from "../compute/bodies.js";
import { KVStoreEntry } from "../entry.js";
import { KVStore } from "../kv-store.js";

const VALUES = { KVStore, KVStoreEntry, ConfigStore, Dictionary, SecretStore, SecretStoreEntry, fastly } as const;
type GlobalName = keyof typeof VALUES;
/** The names installGlobals() defines, in order. */
export const GLOBAL_NAMES = Object.keys(VALUES) as GlobalName[];

export interface InstallGlobalsOptions {
  /** Also define the `fastly` object (`fastly.env.get` only). Default true. */
  fastly?: boolean;
  /** Wrap Request/Response `body` getters so KVStore.put can refuse app-made streams exactly. Default true. */
  trackBodies?: boolean;
}

interface Installed {
  before: Map<GlobalName, PropertyDescriptor | undefined>;
  names: GlobalName[];
  untrack: (() => void) | null;
}

/** What was on each target before the first install (kept on globalThis so every copy of edge-kv agrees). */
const SAVED = Symbol.for("edge-kv.globals.saved");
function saved(): WeakMap<object, Installed> {
  const holder = globalThis as { [SAVED]?: WeakMap<object, Installed> };
  return (holder[SAVED] ??= new WeakMap());
}

/**
 * Defines the Compute globals on `target` (default `globalThis`) as the runtime does: writable,
 * configurable, not enumerable. Installing twice is harmless. Returns an uninstall function.
 */
export function installGlobals(target: object = globalThis, options: InstallGlobalsOptions = {}): () => void {
  const names = GLOBAL_NAMES.filter((name) => name !== "fastly" || options.fastly !== false);
  const installs = saved();
  if (!installs.has(target)) {
    installs.set(target, {
      before: new Map(names.map((name) => [name, Object.getOwnPropertyDescriptor(target, name)])),
      names,
      untrack: options.trackBodies === false ? null : trackBodyStreams(),
    });
  }
  for (const name of names) {
    Object.defineProperty(target, name, { value: VALUES[name], writable: true, enumerable: false, configurable: true });
  }
  return () => uninstallGlobals(target);
}

/** Restores what `target` had before `installGlobals(target)`; does nothing if it was never installed. */
export function uninstallGlobals(target: object = globalThis): void {
  const installs = saved();
  const installed = installs.get(target);
  if (!installed) return;
  installs.delete(target);
  installed.untrack?.();
  for (const name of installed.names) {
    const descriptor = installed.before.get(name);
    if (descriptor) Object.defineProperty(target, name, descriptor);
    else delete (target as Record<string, unknown>)[name];
  }
}

/** Whether `target` currently holds edge-kv's store classes (those of this copy of edge-kv). */
export function globalsInstalled(target: object = globalThis): boolean {
  const record = target as Record<string, unknown>;
  return GLOBAL_NAMES.filter((name) => name !== "fastly").every((name) => record[name] === VALUES[name]);
}
