/**
 * Opt-in Compute globals: the Compute runtime installs `KVStore` and `KVStoreEntry` on the global
 * object (code may use them without importing `fastly:kv-store`). `installGlobals()` does the same
 * with edge-kv's classes; the returned function (or `uninstallGlobals()`) puts back what was there.
 * Importing this module changes nothing by itself.
 */
import { KVStoreEntry } from "../entry.js";
import { KVStore } from "../kv-store.js";

const NAMES = ["KVStore", "KVStoreEntry"] as const;
type GlobalName = (typeof NAMES)[number];

/** Property descriptors that were on the target before the first install, per target. */
const saved = new WeakMap<object, Map<GlobalName, PropertyDescriptor | undefined>>();

/**
 * Defines `KVStore` and `KVStoreEntry` on `target` (default `globalThis`) as the runtime does:
 * writable, configurable, not enumerable. Installing twice is harmless. Returns an uninstall function.
 */
export function installGlobals(target: object = globalThis): () => void {
  if (!saved.has(target)) {
    saved.set(target, new Map(NAMES.map((name) => [name, Object.getOwnPropertyDescriptor(target, name)])));
  }
  const values: Record<GlobalName, unknown> = { KVStore, KVStoreEntry };
  for (const name of NAMES) {
    Object.defineProperty(target, name, { value: values[name], writable: true, enumerable: false, configurable: true });
  }
  return () => uninstallGlobals(target);
}

/** Restores what `target` had before `installGlobals(target)`; does nothing if it was never installed. */
export function uninstallGlobals(target: object = globalThis): void {
  const before = saved.get(target);
  if (!before) return;
  saved.delete(target);
  for (const name of NAMES) {
    const descriptor = before.get(name);
    if (descriptor) Object.defineProperty(target, name, descriptor);
    else delete (target as Record<string, unknown>)[name];
  }
}

/** Whether `target` currently holds edge-kv's `KVStore` and `KVStoreEntry`. */
export function globalsInstalled(target: object = globalThis): boolean {
  const record = target as Record<string, unknown>;
  return record.KVStore === KVStore && record.KVStoreEntry === KVStoreEntry;
}
