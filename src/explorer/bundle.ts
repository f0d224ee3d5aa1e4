/**
 * Builds the explorer page (src/explorer/app/) into three files: index.html, app.js (Preact and the
 * page, one minified browser bundle) and app.css. `npm run build` writes them to dist/explorer/
 * (scripts/build-explorer.ts); from the sources (tests, `tsx`), the server builds them in memory.
 * Needs esbuild, a development dependency: an installed package ships the built files instead.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

export interface ExplorerAssets {
  "index.html": string;
  "app.js": string;
  "app.css": string;
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export async function bundleExplorer(): Promise<ExplorerAssets> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [here("./app/main.tsx")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    legalComments: "none",
    logLevel: "silent",
  });
  return {
    "index.html": await readFile(here("./app/index.html"), "utf8"),
    "app.js": result.outputFiles[0]!.text,
    "app.css": await readFile(here("./app/app.css"), "utf8"),
  };
}
