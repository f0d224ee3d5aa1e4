/**
 * Ambient types for the `fastly:*` modules edge-kv serves — `fastly:kv-store`, `fastly:config-store`,
 * `fastly:dictionary`, `fastly:secret-store`, `fastly:env`, `fastly:experimental` — when @fastly/js-compute is not installed.
 * Add to tsconfig: "types": ["edge-kv/types/fastly-compute"]. The types are edge-kv's own, which
 * test/conformance/fastly-types.ts proves assignable to Fastly's.
 */
/// <reference path="./fastly-kv-store.d.ts" />
declare module "fastly:config-store" {
  export { ConfigStore } from "edge-kv";
}
declare module "fastly:dictionary" {
  export { Dictionary } from "edge-kv";
}
declare module "fastly:secret-store" {
  export { SecretStore, SecretStoreEntry } from "edge-kv";
}
declare module "fastly:env" {
  export { env } from "edge-kv";
}
declare module "fastly:experimental" {
  export {
    allowDynamicBackends,
    enableDebugLogging,
    includeBytes,
    mapAndLogError,
    mapError,
    sdkVersion,
    setBaseURL,
    setDefaultBackend,
    setReusableSandboxOptions,
  } from "edge-kv/fastly-experimental";
}
