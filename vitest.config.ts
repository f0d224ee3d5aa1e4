import { playwright } from "@vitest/browser-playwright";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url));
// Tests import the package by its public names, resolved to the sources.
const alias = {
  "edge-kv/node": src("node/index.ts"),
  "edge-kv/testing": src("testing/index.ts"),
  "edge-kv/fastly-kv-store": src("shim/fastly-kv-store.ts"),
  "edge-kv/globals": src("shim/globals.ts"),
  "edge-kv/vite": src("shim/vite.ts"),
  "edge-kv/esbuild": src("shim/esbuild.ts"),
  "edge-kv/server": src("server/index.ts"),
  "edge-kv/wasm/host": src("wasm/host.ts"),
  "edge-kv/wasm": src("wasm/index.ts"),
  "edge-kv/host": src("host/index.ts"),
  "edge-kv/redis": src("redis/index.ts"),
  "fastly:kv-store": src("shim/fastly-kv-store.ts"),
  "fastly:config-store": src("shim/fastly-config-store.ts"),
  "fastly:dictionary": src("shim/fastly-dictionary.ts"),
  "fastly:secret-store": src("shim/fastly-secret-store.ts"),
  "fastly:env": src("shim/fastly-env.ts"),
  "fastly:experimental": src("shim/fastly-experimental.ts"),
  "edge-kv": src("index.ts"),
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: "node",
          environment: "node",
          include: ["test/**/*.test.ts", "examples/**/*.test.ts"],
          exclude: ["test/**/*.browser.test.ts", "examples/compute-app/**", "node_modules/**"],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
      {
        // The web-standard core in a DOM-like environment: the core rule suites run again under happy-dom.
        resolve: { alias },
        test: {
          name: "happy-dom",
          environment: "happy-dom",
          include: ["test/core/**/*.test.ts", "test/compute/**/*.test.ts"],
        },
      },
      {
        resolve: { alias },
        test: {
          name: "browser",
          include: ["test/**/*.browser.test.ts"],
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
                args: [
                  "--headless",
                  "--no-sandbox",
                  "--disable-gpu",
                  "--disable-background-networking",
                  "--disable-component-update",
                  "--disable-sync",
                  "--no-first-run",
                  "--disable-quic",
                ],
              },
            }),
            instances: [{ browser: "chromium" }],
          },
        },
      },
    ],
  },
});
