/**
 * Ambient types for `import { KVStore } from "fastly:kv-store"` when the module is served by edge-kv's
 * shim and @fastly/js-compute is not installed. Add to tsconfig: "types": ["edge-kv/types/fastly-kv-store"]
 * (or include this file). The types are edge-kv's own, which test/conformance/fastly-types.ts proves
 * assignable to Fastly's.
 */
declare module "fastly:kv-store" {
  export { KVStore } from "edge-kv";
  export type { KVStoreEntry } from "edge-kv";
}
