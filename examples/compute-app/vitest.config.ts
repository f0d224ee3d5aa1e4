import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
// In your project: import { edgeKv } from "edge-kv/vite";
import { edgeKv } from "../../src/shim/vite.js";

const src = (path: string) => fileURLToPath(new URL(`../../src/${path}`, import.meta.url));

export default defineConfig({
  // The one line: fastly:kv-store → edge-kv, stores seeded from ./fastly.toml before every test.
  plugins: [edgeKv()],
  // Only needed inside the edge-kv repository, where the package is not installed under node_modules.
  resolve: { alias: { "edge-kv/host": src("host/index.ts"), "edge-kv/testing": src("testing/index.ts"), "edge-kv/node": src("node/index.ts"), "edge-kv": src("index.ts") } },
  root: fileURLToPath(new URL(".", import.meta.url)),
  test: { include: ["test/**/*.test.ts"], environment: "node" },
});
