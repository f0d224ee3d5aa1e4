/**
 * `edgeKvEsbuild(options)`: an esbuild plugin (Node only) so a Compute app bundles and runs locally —
 * in Node, a dev server or an edge runtime. `fastly:kv-store` is bundled as edge-kv's module; the
 * stores of fastly.toml (or `stores`) are embedded and defined when the bundle starts. Other
 * `fastly:*` modules resolve to `modules`, or fail the build with an error that says so.
 */
import { dirname } from "node:path";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Plugin } from "esbuild";
import { EdgeKvError } from "../errors.js";
import { KV_STORE_MODULE, mappedModule, resolveKvConfig, toSource, type EdgeKvOptions } from "./config.js";

export type { EdgeKvOptions, StoreOption } from "./config.js";

export interface EdgeKvEsbuildOptions extends Omit<EdgeKvOptions, "clock" | "start" | "globals"> {
  /** Project root: where fastly.toml and relative paths are looked up. Default: esbuild's absWorkingDir, else the current directory. */
  root?: string;
}

function sibling(name: string): string {
  for (const extension of [".ts", ".js"]) {
    const path = fileURLToPath(new URL(`./${name}${extension}`, import.meta.url));
    if (existsSync(path)) return path;
  }
  throw new EdgeKvError(`the edge-kv installation is incomplete: ${name}.js is missing next to ${fileURLToPath(import.meta.url)}`);
}

export function edgeKvEsbuild(options: EdgeKvEsbuildOptions = {}): Plugin {
  return {
    name: "edge-kv",
    setup(build) {
      const root = options.root ?? build.initialOptions.absWorkingDir ?? process.cwd();
      const shim = sibling("fastly-kv-store");
      const runtime = sibling("bundle-runtime");
      build.onResolve({ filter: /^fastly:/ }, (args) => {
        if (args.path === KV_STORE_MODULE) return { path: KV_STORE_MODULE, namespace: "edge-kv" };
        try {
          return { path: mappedModule(args.path, options.modules, root, 'edgeKvEsbuild({ modules: { "$ID": "./path/to/your-module.js" } }) in your esbuild build', args.importer || undefined) };
        } catch (error) {
          return { errors: [{ text: (error as Error).message }] };
        }
      });
      build.onLoad({ filter: /.*/, namespace: "edge-kv" }, async () => {
        let config;
        try {
          config = await resolveKvConfig(options, root, "edgeKvEsbuild");
        } catch (error) {
          return { errors: [{ text: (error as Error).message }] };
        }
        const contents = [
          `import { defineEmbeddedStores } from ${JSON.stringify(runtime)};`,
          `defineEmbeddedStores(${toSource(config)});`,
          `export { KVStore } from ${JSON.stringify(shim)};`,
          "",
        ].join("\n");
        return { contents, loader: "js", resolveDir: dirname(shim) };
      });
    },
  };
}

export default edgeKvEsbuild;
