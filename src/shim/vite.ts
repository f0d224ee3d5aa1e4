/**
 * `edgeKv(options)`: the Vite / Vitest plugin (Node only). One line in vitest.config.ts —
 * `plugins: [edgeKv()]` — and an app's `import { KVStore } from "fastly:kv-store"` resolves to
 * edge-kv, on stores from fastly.toml ([local_server.kv_stores]) or from inline options. Under
 * Vitest each test starts from those seeds (a beforeEach reset) and `getTestKv()` from
 * edge-kv/testing reads back, advances the fake clock and injects faults. Other `fastly:*`
 * modules resolve to the modules given in `modules`, or fail with an error that says so.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { EdgeKvError } from "../errors.js";
import { KV_STORE_MODULE, mappedModule, resolveKvConfig, toSource, type EdgeKvOptions } from "./config.js";

export type { EdgeKvOptions, StoreOption } from "./config.js";
export { readSeedFolder } from "./config.js";

const CONFIG_ID = "virtual:edge-kv/config";
const RESOLVED_CONFIG_ID = "\0edge-kv:config";
const RESOLVED_SHIM_ID = "\0edge-kv:fastly-kv-store";

/** A file next to this module, in its source (.ts) or built (.js) form. */
function sibling(name: string): string {
  for (const extension of [".ts", ".js"]) {
    const path = fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new EdgeKvError(`the edge-kv installation is incomplete: ${name}.js is missing next to ${fileURLToPath(import.meta.url)}`);
}

/** The built edge-kv/host module next to this one, as a pattern for Vitest's server.deps.inline (none when run from source). */
function hostModule(): RegExp[] {
  const path = fileURLToPath(new URL("./host.js", import.meta.url));
  return existsSync(path) ? [new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)] : [];
}

export function edgeKv(options: EdgeKvOptions = {}): Plugin {
  const shimPath = sibling("fastly-kv-store");
  const runtimePath = sibling("plugin-runtime");
  const setupPath = sibling("vitest-setup");
  let root = process.cwd();
  let configSource: Promise<string> | null = null;

  return {
    name: "edge-kv",
    enforce: "pre",
    config(config) {
      if (config.root) root = config.root;
      // Vitest reads `test` from the resolved config; plain Vite ignores it. edge-kv/host runs through
      // Vitest's module runner (not Node's loader), so loadApp("./src/index.ts") gets TypeScript and fastly:*.
      return { test: { setupFiles: [setupPath], server: { deps: { inline: hostModule() } } } } as Record<string, unknown>;
    },
    configResolved(config) {
      root = config.root;
      configSource = null;
    },
    async resolveId(id, importer) {
      if (id === KV_STORE_MODULE) return RESOLVED_SHIM_ID;
      if (id === CONFIG_ID) return RESOLVED_CONFIG_ID;
      if (!id.startsWith("fastly:")) return null;
      let target: string;
      try {
        target = mappedModule(id, options.modules, root, 'edgeKv({ modules: { "$ID": "./path/to/your-module.ts" } }) in your vite/vitest config', importer);
      } catch (error) {
        return this.error((error as Error).message);
      }
      const resolved = await this.resolve(target, importer, { skipSelf: true });
      if (!resolved) return this.error(`edge-kv: "${id}" is mapped to ${target} in edgeKv({ modules }), but that file does not exist`);
      return resolved;
    },
    load(id) {
      if (id === RESOLVED_CONFIG_ID) {
        // Under Vitest the stores' clock is fake by default; in a Vite dev server or build, real.
        const defaults: EdgeKvOptions = { clock: process.env.VITEST ? "fake" : "system" };
        configSource ??= resolveKvConfig({ ...defaults, ...options }, root, "edgeKv").then((config) => `export default ${toSource(config)};\n`);
        return configSource;
      }
      if (id === RESOLVED_SHIM_ID) {
        // Exactly what fastly:kv-store exports: KVStore. Importing it sets up the stores once.
        return [
          `import config from ${JSON.stringify(CONFIG_ID)};`,
          `import { setUpStores } from ${JSON.stringify(runtimePath)};`,
          `await setUpStores(config);`,
          `export { KVStore } from ${JSON.stringify(shimPath)};`,
          "",
        ].join("\n");
      }
      return null;
    },
  };
}

export default edgeKv;
