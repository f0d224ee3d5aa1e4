/**
 * The benchmark measures edge-kv as it ships: bundled by esbuild (what tsup runs) from src/, not
 * through tsx's on-the-fly transpile, which adds a `__name(...)` call to every closure it creates
 * (about 5 % of a put under tsx). Each worker script is bundled with the `edge-kv*` imports mapped to
 * src/ and every other package left as an import resolved at run time (peers from bench/peers).
 */
import { build, type Plugin } from "esbuild";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
/** Where edge-kv's sources are read from: src/ by default; set EDGE_KV_BENCH_SRC to A/B a patched copy. */
const SOURCE_ROOT = process.env.EDGE_KV_BENCH_SRC ? resolve(process.env.EDGE_KV_BENCH_SRC, "..") : ROOT;

const ENTRY_SOURCES: Record<string, string> = {
  "edge-kv": "src/index.ts",
  "edge-kv/node": "src/node/index.ts",
  "edge-kv/server": "src/server/index.ts",
  "edge-kv/testing": "src/testing/index.ts",
};

const mapEdgeKv: Plugin = {
  name: "edge-kv-sources",
  setup(builder) {
    builder.onResolve({ filter: /^edge-kv(\/[a-z-]+)?$/ }, (args) => {
      const source = ENTRY_SOURCES[args.path];
      if (!source) return { errors: [{ text: `bench: no source mapping for ${args.path}` }] };
      // An entry point that has not landed yet bundles as an empty module; its subjects are skipped.
      if (!existsSync(join(SOURCE_ROOT, source))) return { path: args.path, namespace: "missing-entry" };
      return { path: join(SOURCE_ROOT, source) };
    });
    builder.onLoad({ filter: /.*/, namespace: "missing-entry" }, () => ({ contents: "export {};", loader: "js" }));
    // Every other bare import (tinybench, peers, node builtins) stays an import.
    builder.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("edge-kv") ? undefined : { path: args.path, external: true }));
  },
};

/** Bundles `entry` (relative to the repository root) to `outfile`; returns the absolute output path. */
export async function bundle(entry: string, outfile: string): Promise<string> {
  const out = join(ROOT, outfile);
  await build({
    entryPoints: [join(ROOT, entry)],
    outfile: out,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "es2022",
    sourcemap: false,
    logLevel: "error",
    plugins: [mapEdgeKv],
  });
  return out;
}

/** Whether an edge-kv entry point has landed (drivers are benchmarked as they appear). */
export function hasSource(entry: keyof typeof ENTRY_SOURCES): boolean {
  return existsSync(join(SOURCE_ROOT, ENTRY_SOURCES[entry]!));
}
