/**
 * edge-kv/wasm (Node only): host a Compute app's compiled wasm — Fastly's own runtime — on edge-kv's
 * stores. See docs/wasm-host.md.
 */
export { loadWasmApp, type WasmApp, type WasmAppOptions, type WasmClientOverrides, type WasmErrorInfo, type WasmRequestInit } from "./app.js";
export type { WasmLogEntry } from "./session.js";
export { compileModule, type CompiledModule } from "./module-cache.js";
export { Status, KvError } from "./abi.js";
export { buildComputeApp, type BuildOptions, type BuildResult } from "./build.js";
