/**
 * `edge-kv/wasm/host`: `loadApp(entry)` with the signature of `edge-kv/host`'s, running the entry in
 * Fastly's real runtime instead: the entry file is built to wasm with the project's own
 * `@fastly/js-compute` (cached by content hash) and hosted by `loadWasmApp`. Aliasing `edge-kv/host`
 * to this module runs a test suite written for the JS host against the real runtime, unchanged
 * (`edgeKv({ runtime: "wasm" })` in vitest.config does that; docs/wasm-host.md).
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { EdgeKvError } from "../errors.js";
import type { KVRegistry } from "../registry.js";
import { loadWasmApp, type WasmApp, type WasmAppOptions, type WasmClientOverrides } from "./app.js";
import { buildComputeApp } from "./build.js";

export interface WasmLoadAppOptions {
  registry?: KVRegistry;
  client?: WasmClientOverrides;
  server?: { address?: string };
  origin?: string | URL;
  requestIdStart?: number;
  /** A failing request: the runtime's stderr report ("listener-threw", "response-rejected") or a trapped instance. */
  onError?: WasmAppOptions["onError"];
  /** Accepted for compatibility with edge-kv/host: every request gets a fresh instance anyway. */
  fresh?: boolean;
  /** Where the guest runs (default: EDGE_KV_WASM_THREAD, else "worker"). */
  thread?: WasmAppOptions["thread"];
  /** Backends, configuration, etc., as loadWasmApp takes them. */
  wasm?: Omit<WasmAppOptions, "wasm">;
}

/** The folder holding the nearest package.json above `file` (where @fastly/js-compute is installed). */
function projectRootOf(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(resolve(dir, "node_modules/@fastly/js-compute"))) return dir;
  }
  return process.cwd();
}

export async function loadApp(entry: string | URL | (() => unknown), options: WasmLoadAppOptions = {}): Promise<WasmApp> {
  if (typeof entry === "function") {
    throw new EdgeKvError("loadApp (wasm runtime): the app is built from its entry file, so pass a path or a file URL (new URL('../src/index.ts', import.meta.url)), not a function that imports it");
  }
  const path = entry instanceof URL ? fileURLToPath(entry) : resolve(process.cwd(), entry.replace(/^file:\/\//, ""));
  const { wasm } = await buildComputeApp(path, { projectRoot: projectRootOf(path) });
  const thread = options.thread ?? ((process.env.EDGE_KV_WASM_THREAD as WasmAppOptions["thread"] | undefined) || "worker");
  const appOptions: WasmAppOptions = { ...options.wasm, wasm, thread };
  if (options.registry !== undefined) appOptions.registry = options.registry;
  if (options.client !== undefined) appOptions.client = options.client;
  if (options.server !== undefined) appOptions.server = options.server;
  if (options.origin !== undefined) appOptions.origin = options.origin;
  if (options.requestIdStart !== undefined) appOptions.requestIdStart = options.requestIdStart;
  if (options.onError !== undefined) appOptions.onError = options.onError;
  return loadWasmApp(appOptions);
}
