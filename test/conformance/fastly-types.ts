/**
 * Type conformance with @fastly/js-compute's `fastly:kv-store` (checked by `tsc -p tsconfig.fastly.json`,
 * never run): edge-kv's KVStore and KVStoreEntry are assignable to Fastly's types, so app code typed
 * against Fastly's module accepts ours, and the ambient `types/fastly-kv-store.d.ts` (which re-exports
 * these types) stays honest.
 */
import type { KVStore as FastlyKVStore, KVStoreEntry as FastlyKVStoreEntry } from "fastly:kv-store";
import { KVStore, type KVStoreEntry } from "../../src/index.js";

export const storeConforms = (store: KVStore): FastlyKVStore => store;
export const entryConforms = (entry: KVStoreEntry): FastlyKVStoreEntry => entry;
export const constructorConforms: new (name: string) => FastlyKVStore = KVStore;

// An app function written against Fastly's types, fed an edge-kv store.
async function appCode(store: FastlyKVStore): Promise<string | null> {
  await store.put("k", "v", { metadata: "m", ttl: 60, mode: "add", gen: 1 });
  const { list, cursor } = await store.list({ prefix: "k", limit: 10, noSync: true, ...(cursor0 ? { cursor: cursor0 } : {}) });
  void list;
  void cursor;
  const entry = await store.get("k");
  return entry ? entry.text() : null;
}
const cursor0: string | undefined = undefined;
export const appRuns = () => appCode(new KVStore("store"));

// The reverse direction for entries: what Fastly's entry offers, ours offers (same members).
type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never] ? true : false;
export const entryMembersMatch: SameKeys<KVStoreEntry, FastlyKVStoreEntry> = true;
export const storeMembersMatch: SameKeys<KVStore, FastlyKVStore> = true;
