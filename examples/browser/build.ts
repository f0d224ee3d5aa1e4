/**
 * Bundles the prototype page with esbuild: main.ts plus edge-kv (from this repository's sources)
 * into one browser script. `fastly:kv-store` resolves to edge-kv's shim, as edge-kv/esbuild does for
 * an app; here both names point at the sources so the bundle needs no build of edge-kv first.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const sources: Record<string, string> = {
  "edge-kv": here("../../src/index.ts"),
  "fastly:kv-store": here("../../src/shim/fastly-kv-store.ts"),
};

const edgeKvSources: Plugin = {
  name: "edge-kv-sources",
  setup(build) {
    build.onResolve({ filter: /^(edge-kv|fastly:kv-store)$/ }, (args) => ({ path: sources[args.path]! }));
  },
};

export interface BuiltPage {
  /** index.html, which loads ./main.js */
  html: string;
  /** The bundled script. */
  script: string;
}

export async function buildPage(): Promise<BuiltPage> {
  const result = await build({
    entryPoints: [here("./main.ts")],
    bundle: true,
    write: false,
    format: "esm",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
    plugins: [edgeKvSources],
  });
  return { html: await readFile(here("./index.html"), "utf8"), script: result.outputFiles[0]!.text };
}

/** A node:http handler serving the built page: `/` (index.html) and `/main.js`. */
export function pageHandler(page: BuiltPage): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const path = new URL(request.url ?? "/", "http://127.0.0.1").pathname;
    if (path === "/" || path === "/index.html") response.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(page.html);
    else if (path === "/main.js") response.writeHead(200, { "content-type": "text/javascript; charset=utf-8" }).end(page.script);
    else response.writeHead(404, { "content-type": "text/plain" }).end("not found");
  };
}
