/**
 * Which file is the app (Node only), for `edge-kv dev` without an entry argument — where Fastly's
 * tooling would look:
 *
 * 1. the input of `js-compute-runtime <input> <output>` in fastly.toml `[scripts] build` or
 *    package.json `scripts.build` / `scripts.prebuild` (what `fastly compute build` runs; the
 *    starter kits build `src/index.js` / `src/index.ts` this way) — unless that input is itself a
 *    build output under `bin/` (older starters bundle src/index.js to bin/index.js with webpack first);
 * 2. package.json `main`;
 * 3. src/index.ts, src/index.js (and .mts/.mjs/.tsx/.jsx): the starter kits' entry.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parse } from "smol-toml";
import { EdgeKvError } from "../../errors.js";

export interface AppEntry {
  /** Absolute path. */
  path: string;
  /** Where it came from, for the start-up line. */
  source: string;
}

const CONVENTIONAL = ["src/index.ts", "src/index.js", "src/index.mts", "src/index.mjs", "src/index.tsx", "src/index.jsx"];
const SCRIPT_FILE = /\.(?:[mc]?[jt]s|[jt]sx)$/;

/** The input file of a `js-compute-runtime` (or `js-compute`) invocation in a shell command, if any. */
export function jsComputeInput(command: string): string | undefined {
  const match = /(?:^|[\s;&|(])(?:\.\/node_modules\/\.bin\/)?js-compute(?:-runtime)?(?:\s+([^;&|]*))?/.exec(command);
  if (!match?.[1]) return undefined;
  return match[1].split(/\s+/).find((token) => !token.startsWith("-") && SCRIPT_FILE.test(token));
}

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function readToml(path: string): Record<string, unknown> | undefined {
  try {
    return parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  } catch {
    return undefined; // the store loader reports a broken fastly.toml with its own errors
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Finds the app entry in `root` (or checks `explicit`). Throws EdgeKvError saying what was looked at. */
export function findAppEntry(root: string, explicit?: string): AppEntry {
  if (explicit !== undefined) {
    const path = resolve(root, explicit);
    if (!existsSync(path)) throw new EdgeKvError(`dev: the entry ${explicit} does not exist (${path}). Pass the file of your app, e.g. edge-kv dev src/index.ts`);
    if (!isFile(path)) throw new EdgeKvError(`dev: the entry ${explicit} is a folder; pass the app's file, e.g. edge-kv dev ${join(explicit, "index.ts")}`);
    return { path, source: "the command line" };
  }
  const looked: string[] = [];
  const candidates: Array<[string | undefined, string]> = [];
  const toml = readToml(join(root, "fastly.toml"));
  const tomlBuild = (toml?.scripts as Record<string, unknown> | undefined)?.build;
  if (typeof tomlBuild === "string") candidates.push([jsComputeInput(tomlBuild), "fastly.toml [scripts] build"]);
  const pkg = readJson(join(root, "package.json"));
  const scripts = (pkg?.scripts ?? {}) as Record<string, unknown>;
  for (const name of ["build", "prebuild"]) {
    if (typeof scripts[name] === "string") candidates.push([jsComputeInput(scripts[name] as string), `package.json scripts.${name}`]);
  }
  if (typeof pkg?.main === "string") candidates.push([pkg.main, "package.json main"]);
  for (const [file, source] of candidates) {
    if (file === undefined) continue;
    const path = resolve(root, file);
    const relativePath = relative(root, path);
    if (relativePath.split(/[\\/]/)[0] === "bin") {
      looked.push(`${relativePath} (${source}: a build output, skipped)`);
      continue;
    }
    if (isFile(path)) return { path, source };
    looked.push(`${relativePath} (${source}: not found)`);
  }
  for (const file of CONVENTIONAL) {
    const path = join(root, file);
    if (isFile(path)) return { path, source: "the starter kits' convention" };
  }
  looked.push(...CONVENTIONAL);
  throw new EdgeKvError(`dev: no app entry found in ${root}. Looked at: ${looked.join(", ")}. Pass the app's file: edge-kv dev path/to/index.ts`);
}
