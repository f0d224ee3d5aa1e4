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
import { mappedModule, resolveKvConfig, toSource, type EdgeKvOptions } from "./config.js";
import { isProvidedModule, PROVIDED_MODULES, type ProvidedModule } from "./modules.js";

export type { EdgeKvOptions, StoreOption } from "./config.js";

export interface EdgeKvEsbuildOptions extends Omit<EdgeKvOptions, "clock" | "start"> {
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
      const runtime = sibling("bundle-runtime");
      const mapped = options.modules ?? {};
      build.onResolve({ filter: /^fastly:/ }, (args) => {
        if (isProvidedModule(args.path) && !Object.hasOwn(mapped, args.path)) return { path: args.path, namespace: "edge-kv" };
        try {
          return { path: mappedModule(args.path, mapped, root, 'edgeKvEsbuild({ modules: { "$ID": "./path/to/your-module.js" } }) in your esbuild build', args.importer || undefined) };
        } catch (error) {
          return { errors: [{ text: (error as Error).message }] };
        }
      });
      // Every provided module imports the same embedded configuration, so the stores are defined once.
      build.onResolve({ filter: /^edge-kv-embedded:config$/ }, () => ({ path: "config", namespace: "edge-kv-config" }));
      build.onLoad({ filter: /.*/, namespace: "edge-kv-config" }, async () => {
        let config;
        try {
          config = await resolveKvConfig(options, root, "edgeKvEsbuild");
        } catch (error) {
          return { errors: [{ text: (error as Error).message }] };
        }
        const contents = [`import { defineEmbeddedStores } from ${JSON.stringify(runtime)};`, `defineEmbeddedStores(${toSource(config)});`, ""].join("\n");
        return { contents, loader: "js", resolveDir: dirname(runtime) };
      });
      build.onLoad({ filter: /.*/, namespace: "edge-kv" }, (args) => {
        const module = PROVIDED_MODULES[args.path as ProvidedModule];
        const shim = sibling(module.file);
        const lines = [`import "edge-kv-embedded:config";`, `export { ${module.exports.join(", ")} } from ${JSON.stringify(shim)};`];
        // includeBytes reads the project's files when the bundle runs in Node (the root of the build).
        if (args.path === "fastly:experimental") lines.push(`import { useProjectFiles } from ${JSON.stringify(runtime)};`, `useProjectFiles(${JSON.stringify(root)});`);
        const contents = [...lines, ""].join("\n");
        return { contents, loader: "js", resolveDir: dirname(shim) };
      });
    },
  };
}

export default edgeKvEsbuild;
