/**
 * What `edge-kv dev --wasm <file>` serves: the compiled app in the real runtime, on the dev server's
 * registry, with `[local_server.backends]` / `[local_server.geolocation]` from its fastly.toml; with
 * `--watch`, reloaded when the file is rebuilt (`fastly compute build` / `js-compute-runtime`).
 */
import { watch, type FSWatcher } from "node:fs";
import type { KVRegistry } from "../registry.js";
import { loadWasmApp, type WasmApp, type WasmAppOptions, type WasmRequestInit } from "./app.js";

export interface WasmDevOptions {
  wasm: string;
  registry: KVRegistry;
  fastlyToml?: string | undefined;
  onError: NonNullable<WasmAppOptions["onError"]>;
  watch: boolean;
  /** A reload happened, or failed (the previous build keeps serving). */
  onReload(message: string, error?: unknown): void;
}

export interface WasmDevApp {
  fetch(input: RequestInfo | URL, init?: WasmRequestInit): Promise<Response>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startWasmDevApp(options: WasmDevOptions): Promise<WasmDevApp> {
  const load = () =>
    loadWasmApp({ wasm: options.wasm, registry: options.registry, fastlyToml: options.fastlyToml, onError: options.onError, thread: "worker" });
  let app: WasmApp = await load();
  let watcher: FSWatcher | undefined;
  let timer: NodeJS.Timeout | undefined;
  let reloading = Promise.resolve();
  if (options.watch) {
    // Builds write the file in several steps: reload once it has been quiet for a moment.
    watcher = watch(options.wasm, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        reloading = reloading.then(async () => {
          try {
            const previous = app;
            app = await load();
            options.onReload(`reloaded ${options.wasm} (module ${app.module.hash.slice(0, 12)}, compiled in ${Math.round(app.module.compileMs)} ms)`);
            void previous.close();
          } catch (error) {
            options.onReload(`edge-kv dev: ${options.wasm} failed to load; still serving the previous build:`, error);
          }
        });
      }, 150);
    });
  }
  return {
    fetch: (input, init) => app.fetch(input, init),
    settled: () => app.settled(),
    async close() {
      watcher?.close();
      clearTimeout(timer);
      await reloading;
      await app.close();
    },
  };
}
