/**
 * examples/compute-app's own test files, run against the real runtime: `edgeKv({ runtime: "wasm" })`
 * makes `edge-kv/host` resolve to edge-kv/wasm/host, whose loadApp builds the app's entry with
 * @fastly/js-compute and hosts the wasm.
 * Two tests are about the JS app host itself and cannot hold for a compiled guest (see
 * docs/wasm-host.md): one drives time with fake timers while the request runs on another thread, one
 * expects onError to receive the app's own exception object. They are left out by name.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { edgeKv } from "../../src/shim/vite.js";

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));
export const JS_HOST_ONLY = ["waits for a slow lookup instead of failing", "an error other than Too many requests is not hidden"];

export default defineConfig({
  plugins: [edgeKv({ runtime: "wasm" })],
  // Only needed inside the edge-kv repository, where the package is not installed under node_modules.
  resolve: { alias: { "edge-kv/testing": src("testing/index.ts"), "edge-kv/node": src("node/index.ts"), "edge-kv": src("index.ts") } },
  root: fileURLToPath(new URL("../../examples/compute-app/", import.meta.url)),
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 120_000,
    testNamePattern: new RegExp(`^(?!.*(${JS_HOST_ONLY.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")}))`),
  },
});
