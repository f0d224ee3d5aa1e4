/**
 * `edgeKv(options)`: the Vite / Vitest plugin (Node only). One line in vitest.config.ts —
 * `plugins: [edgeKv()]` — and an app's `fastly:kv-store`, `fastly:config-store`, `fastly:dictionary`,
 * `fastly:secret-store`, `fastly:env` and `fastly:experimental` imports resolve to edge-kv, on stores from fastly.toml or from
 * inline options; the Compute globals are installed. Under Vitest each test starts from those seeds (a
 * beforeEach reset) and `getTestKv()` from edge-kv/testing reads back, advances the fake clock and
 * injects faults; dependencies that Node loads itself (node_modules) get the same modules (node-bridge.ts).
 * Other `fastly:*` modules resolve to the modules given in `modules`, or fail with an error that says so.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Plugin } from "vite";
import { EdgeKvError } from "../errors.js";
import { externalizeBytes } from "./blobs.js";
import { mappedModule, resolveKvConfig, toSource, type EdgeKvOptions } from "./config.js";
import { isProvidedModule, PROVIDED_MODULES } from "./modules.js";

export type { EdgeKvOptions, StoreOption } from "./config.js";
export { readSeedFolder } from "./config.js";

const CONFIG_ID = "virtual:edge-kv/config";
const RESOLVED_CONFIG_ID = "\0edge-kv:config";
const MODULES_ID = "virtual:edge-kv/modules";
const RESOLVED_MODULES_ID = "\0edge-kv:modules";
const RESOLVED_PREFIX = "\0edge-kv:module:";
const MODULES_OPTION = 'edgeKv({ modules: { "$ID": "./path/to/your-module.ts" } }) in your vite/vitest config';

/** A file next to this module, in its source (.ts) or built (.js) form. */
function sibling(name: string): string {
  for (const extension of [".ts", ".js"]) {
    const path = fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new EdgeKvError(`the edge-kv installation is incomplete: ${name}.js is missing next to ${fileURLToPath(import.meta.url)}`);
}

/** edge-kv/wasm/host: the built one next to this module, or its source. */
function wasmHostModule(): string {
  const built = fileURLToPath(new URL("./wasm-host.js", import.meta.url));
  return existsSync(built) ? built : fileURLToPath(new URL("../wasm/host.ts", import.meta.url));
}

/** The built edge-kv/host module next to this one, as a pattern for Vitest's server.deps.inline (none when run from source). */
function hostModule(): RegExp[] {
  const path = fileURLToPath(new URL("./host.js", import.meta.url));
  return existsSync(path) ? [new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)] : [];
}

/**
 * The plugin edgeKv() returns: a Vite `Plugin`, declared by shape so that edge-kv's declarations do
 * not load Vite's (and with them Node's), which clash with @fastly/js-compute's globals in a Compute
 * project's tsconfig. It is assignable to Vite's `Plugin` and `PluginOption`.
 */
export interface EdgeKvPlugin {
  name: "edge-kv";
  enforce: "pre";
  config(config: any, env: any): any;
  configResolved(config: any): any;
  configureServer(server: any): any;
  resolveId(this: any, id: string, importer: string | undefined, options?: any): any;
  load(this: any, id: string, options?: any): any;
}

export function edgeKv(options: EdgeKvOptions = {}): EdgeKvPlugin {
  const runtimePath = sibling("plugin-runtime");
  const setupPath = sibling("vitest-setup");
  const mapped = options.modules ?? {};
  let root = process.cwd();
  let cacheDir = join(root, "node_modules", ".vite");
  let configSource: Promise<string> | null = null;
  let explorer: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;

  const plugin: Plugin = {
    name: "edge-kv",
    enforce: "pre",
    config(config) {
      if (config.root) root = config.root;
      // Vitest reads `test` from the resolved config; plain Vite ignores it. edge-kv/host runs through
      // Vitest's module runner (not Node's loader), so loadApp("./src/index.ts") gets TypeScript and fastly:*.
      const test = { setupFiles: [setupPath], server: { deps: { inline: hostModule() } } };
      const runtime = options.runtime ?? (process.env.EDGE_KV_RUNTIME || "js");
      if (runtime !== "js" && runtime !== "wasm") throw new EdgeKvError(`edgeKv({ runtime }) (or EDGE_KV_RUNTIME) must be "js" or "wasm", got ${JSON.stringify(runtime)}`);
      // The real runtime: edge-kv/host's loadApp becomes edge-kv/wasm/host's (same signature).
      if (runtime === "wasm") return { resolve: { alias: [{ find: /^edge-kv\/host$/, replacement: wasmHostModule() }] }, test } as Record<string, unknown>;
      return { test } as Record<string, unknown>;
    },
    configResolved(config) {
      root = config.root;
      cacheDir = config.cacheDir ?? join(root, "node_modules", ".vite");
      configSource = null;
    },
    configureServer(server) {
      // The explorer (docs/explorer.md) at /_edge-kv/ of the dev server, over this process's stores.
      server.middlewares.use((req, res, next) => {
        if (req.url !== "/_edge-kv" && !req.url?.startsWith("/_edge-kv/")) return next();
        void import("../server/index.js").then(({ createRequestHandler }) => (explorer ??= createRequestHandler())(req, res), next);
      });
      const printUrls = server.printUrls.bind(server);
      server.printUrls = () => {
        printUrls();
        for (const url of server.resolvedUrls?.local ?? []) server.config.logger.info(`  ➜  edge-kv explorer: ${url.replace(/\/$/, "")}/_edge-kv/`);
      };
    },
    async resolveId(id, importer) {
      if (id === CONFIG_ID) return RESOLVED_CONFIG_ID;
      if (id === MODULES_ID) return RESOLVED_MODULES_ID;
      if (!id.startsWith("fastly:")) return null;
      if (isProvidedModule(id) && !Object.hasOwn(mapped, id)) return RESOLVED_PREFIX + id;
      let target: string;
      try {
        target = mappedModule(id, mapped, root, MODULES_OPTION, importer);
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
        configSource ??= resolveKvConfig({ ...defaults, ...options }, root, "edgeKv").then(
          // Large values go to a file the runtime reads back, never into module source.
          (config) => `export default ${toSource(externalizeBytes(config, join(cacheDir, "edge-kv")))};\n`,
        );
        return configSource;
      }
      if (id === RESOLVED_MODULES_ID) {
        // Every fastly:* module as the tests see it, for dependencies that Node loads itself.
        const ids = [...new Set([...Object.keys(PROVIDED_MODULES), ...Object.keys(mapped)])];
        const unmapped = new EdgeKvError(`cannot resolve "$ID" (imported by a dependency that Node loads): edge-kv provides ${Object.keys(PROVIDED_MODULES).join(", ")}. Map "$ID" to a module of your own: ${MODULES_OPTION}`).message;
        return [
          ...ids.map((name, index) => `import * as m${index} from ${JSON.stringify(name)};`),
          `export const namespaces = { ${ids.map((name, index) => `${JSON.stringify(name)}: m${index}`).join(", ")} };`,
          `export const unmapped = ${JSON.stringify(unmapped)};`,
          "",
        ].join("\n");
      }
      if (id.startsWith(RESOLVED_PREFIX)) {
        // Exactly what the runtime's module exports. Importing it sets up the stores once.
        const name = id.slice(RESOLVED_PREFIX.length) as keyof typeof PROVIDED_MODULES;
        const module = PROVIDED_MODULES[name];
        return [
          `import config from ${JSON.stringify(CONFIG_ID)};`,
          `import { setUpStores, useProjectFiles } from ${JSON.stringify(runtimePath)};`,
          `await setUpStores(config);`,
          // includeBytes reads the project's files (in Node), relative to the Vite root.
          ...(name === "fastly:experimental" ? [`useProjectFiles(${JSON.stringify(root)});`] : []),
          `export { ${module.exports.join(", ")} } from ${JSON.stringify(sibling(module.file))};`,
          "",
        ].join("\n");
      }
      return null;
    },
  };
  return plugin as EdgeKvPlugin;
}

export default edgeKv;
