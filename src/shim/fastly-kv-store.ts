/**
 * `fastly:kv-store`, served by edge-kv: exports exactly what the Compute runtime's module exports at
 * run time — `KVStore` — so an app's `import { KVStore } from "fastly:kv-store"` works unchanged when
 * a bundler, test runner or loader aliases the module here (edge-kv/vite, edge-kv/register,
 * edge-kv/esbuild do it for you). `KVStoreEntry` is a type only, as in Fastly's module.
 * Stores are looked up in edge-kv's active registry (see `defineStore`, `edge-kv/testing`).
 */
export { KVStore } from "../kv-store.js";
export type { KVStoreEntry } from "../entry.js";
