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

// fastly:config-store, fastly:dictionary, fastly:secret-store, fastly:env: edge-kv's classes and function
// are assignable to Fastly's, and have the same members both ways.
import type { ConfigStore as FastlyConfigStore } from "fastly:config-store";
import type { Dictionary as FastlyDictionary } from "fastly:dictionary";
import type { SecretStore as FastlySecretStore, SecretStoreEntry as FastlySecretStoreEntry } from "fastly:secret-store";
import type { env as fastlyEnv } from "fastly:env";
import { ConfigStore, Dictionary, SecretStore, env } from "../../src/index.js";
import type { SecretStoreEntry } from "../../src/compute/secret-store.js";

export const configStoreConforms: new (name: string) => FastlyConfigStore = ConfigStore;
export const dictionaryConforms: new (name: string) => FastlyDictionary = Dictionary;
export const secretStoreConforms: new (name: string) => FastlySecretStore = SecretStore;
export const fromBytesConforms: (bytes: ArrayBufferView | ArrayBuffer) => FastlySecretStoreEntry = SecretStore.fromBytes;
export const secretEntryConforms = (entry: SecretStoreEntry): FastlySecretStoreEntry => entry;
export const envConforms: typeof fastlyEnv = env;
export const configMembersMatch: SameKeys<InstanceType<typeof ConfigStore>, FastlyConfigStore> = true;
export const dictionaryMembersMatch: SameKeys<InstanceType<typeof Dictionary>, FastlyDictionary> = true;
export const secretStoreMembersMatch: SameKeys<InstanceType<typeof SecretStore>, FastlySecretStore> = true;
export const secretEntryMembersMatch: SameKeys<SecretStoreEntry, FastlySecretStoreEntry> = true;

// App code written against Fastly's types, run on edge-kv's classes.
async function computeApp(): Promise<string> {
  const config: FastlyConfigStore = new ConfigStore("settings");
  const secrets: FastlySecretStore = new SecretStore("secrets");
  const entry = await secrets.get("api-key");
  const bytes: Uint8Array<ArrayBuffer> | undefined = entry?.rawBytes();
  void bytes;
  const read: typeof fastlyEnv = env;
  return `${config.get("mode") ?? ""}${entry?.plaintext() ?? ""}${read("FASTLY_POP") ?? ""}`;
}
export const computeAppRuns = computeApp;

// fastly:experimental: every export of Fastly's module, assignable from edge-kv's (tsconfig.fastly.json).
import * as fastlyExperimental from "fastly:experimental";
import * as experimental from "../../src/shim/fastly-experimental.js";
export const experimentalConforms: typeof fastlyExperimental = experimental;
export const experimentalMembersMatch: SameKeys<typeof experimental, typeof fastlyExperimental> = true;
