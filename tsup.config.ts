import { existsSync } from "node:fs";
import { defineConfig } from "tsup";

// Entry points; each is built when its source exists. Web-standard ones are checked by
// scripts/check-core.mjs for Node builtin imports.
const entries: Record<string, string> = {
  index: "src/index.ts", // edge-kv (web-standard core)
  "fastly-kv-store": "src/shim/fastly-kv-store.ts", // edge-kv/fastly-kv-store (web-standard)
  "fastly-config-store": "src/shim/fastly-config-store.ts", // edge-kv/fastly-config-store (web-standard)
  "fastly-dictionary": "src/shim/fastly-dictionary.ts", // edge-kv/fastly-dictionary (web-standard)
  "fastly-secret-store": "src/shim/fastly-secret-store.ts", // edge-kv/fastly-secret-store (web-standard)
  "fastly-env": "src/shim/fastly-env.ts", // edge-kv/fastly-env (web-standard)
  "fastly-experimental": "src/shim/fastly-experimental.ts", // edge-kv/fastly-experimental (web-standard)
  globals: "src/shim/globals.ts", // edge-kv/globals (web-standard)
  testing: "src/testing/index.ts", // edge-kv/testing (web-standard)
  node: "src/node/index.ts", // edge-kv/node (Node only)
  vite: "src/shim/vite.ts", // edge-kv/vite (Node only)
  register: "src/shim/register.ts", // edge-kv/register (Node only)
  "node-hooks": "src/shim/node-hooks.ts", // loaded by edge-kv/register
  esbuild: "src/shim/esbuild.ts", // edge-kv/esbuild (Node only)
  "vitest-setup": "src/shim/vitest-setup.ts", // setup file the Vite/Vitest plugin adds
  "plugin-runtime": "src/shim/plugin-runtime.ts", // web-standard runtime the Vite plugin serves
  "bundle-runtime": "src/shim/bundle-runtime.ts", // web-standard runtime the esbuild plugin embeds
  server: "src/server/index.ts", // edge-kv/server (Node only)
  wasm: "src/wasm/index.ts", // edge-kv/wasm (Node only): host a Compute app's compiled wasm
  "wasm-worker": "src/wasm/worker.ts", // worker thread script of edge-kv/wasm
  "wasm-host": "src/wasm/host.ts", // edge-kv/wasm/host: loadApp(entry) running the entry in the real runtime
  host: "src/host/index.ts", // edge-kv/host (web-standard app host)
  redis: "src/redis/index.ts", // edge-kv/redis (Node only; the only entry that loads ioredis)
  cli: "src/cli/main.ts", // the edge-kv command (Node only): one module per subcommand under src/cli/
};

export default defineConfig({
  entry: Object.fromEntries(Object.entries(entries).filter(([, source]) => existsSync(source))),
  format: ["esm"],
  dts: true,
  // No source maps in the package: dist/ is plain, unminified ESM (stack traces read as they are), and maps
  // either embed the sources (60 % of the unpacked size) or point at src/ files the package does not ship.
  sourcemap: false,
  clean: true,
  target: "es2022",
  platform: "neutral",
  removeNodeProtocol: false,
  external: [/^fastly:/, /^node:/, /^edge-kv/, /^virtual:/, "vitest", "vite", "esbuild"],
});
