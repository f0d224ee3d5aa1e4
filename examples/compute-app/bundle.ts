/**
 * Bundles the app for a local run outside Fastly with esbuild: `fastly:kv-store` becomes edge-kv,
 * with the stores of ./fastly.toml embedded. The result is one web-standard script that an edge
 * runtime (or a browser worker) evaluates; test/edge-runtime runs it in @edge-runtime/vm.
 *
 *   node --import tsx examples/compute-app/bundle.ts   # prints the bundle size
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
// In your project: import { edgeKvEsbuild } from "edge-kv/esbuild";
import { edgeKvEsbuild } from "../../src/shim/esbuild.js";

const here = fileURLToPath(new URL(".", import.meta.url));

export async function bundleApp(): Promise<string> {
  const result = await build({
    entryPoints: [`${here}src/index.ts`],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    logLevel: "silent",
    plugins: [edgeKvEsbuild({ root: here })],
  });
  return result.outputFiles[0]!.text;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const code = await bundleApp();
  console.log(`bundled examples/compute-app/src/index.ts with edge-kv and its fastly.toml stores: ${code.length} bytes`);
}
