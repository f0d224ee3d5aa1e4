/**
 * Which file is the app (Node only), for `edge-kv dev` without an entry argument — where Fastly's
 * tooling would look:
 *
 * 1. the input of `js-compute-runtime <input> <output>` in fastly.toml `[scripts] build` or
 *    package.json `scripts.build` / `scripts.prebuild` (what `fastly compute build` runs; the
 *    starter kits build `src/index.js` / `src/index.ts` this way) — unless that input is itself a
 *    build output: under `bin/` (older starters bundle src/index.js to bin/index.js with webpack first),
 *    or the output of a `tsc` the same script runs first (the TypeScript starter kit runs
 *    `tsc && js-compute-runtime ./build/index.js ./bin/main.wasm`): then the TypeScript source that
 *    compiles to it, found through the tsconfig's `outDir`/`rootDir`, since `build/` holds whatever
 *    the last build left there;
 * 2. package.json `main`;
 * 3. src/index.ts, src/index.js (and .mts/.mjs/.tsx/.jsx): the starter kits' entry.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve } from "node:path";
import jsonc from "jsonc-parser"; // its ESM build is not exported to Node: the CommonJS one, as a default import
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

/** JSON with comments and trailing commas (tsconfig.json), or undefined when it is not that. */
export function parseJsonc(text: string): unknown {
  const errors: jsonc.ParseError[] = [];
  const value: unknown = jsonc.parse(text, errors, { allowTrailingComma: true, disallowComments: false });
  return errors.length === 0 ? value : undefined;
}

const SOURCE_EXTENSIONS: Record<string, string[]> = { ".js": [".ts", ".tsx"], ".jsx": [".tsx"], ".mjs": [".mts"], ".cjs": [".cts"] };

/**
 * When `command` runs `tsc` and `output` lies in that tsconfig's `outDir`: the TypeScript file tsc
 * compiles to it (`source`, undefined when none exists) and where it was looked for. Undefined when
 * `output` is not tsc's output.
 */
function tscSource(root: string, command: string, output: string): { source: string | undefined; rootDir: string } | undefined {
  if (!/(?:^|[\s;&|(])(?:npx\s+|\.\/node_modules\/\.bin\/)?tsc(?:\s|$|[;&|)])/.test(command)) return undefined;
  const project = /\stsc\b[^;&|]*?\s(?:-p|--project)\s+(\S+)/.exec(` ${command}`)?.[1] ?? "tsconfig.json";
  const configPath = resolve(root, project.endsWith(".json") ? project : join(project, "tsconfig.json"));
  if (!isFile(configPath)) return undefined;
  const config = parseJsonc(readFileSync(configPath, "utf8")) as { compilerOptions?: { outDir?: unknown; rootDir?: unknown } } | undefined;
  const folder = dirname(configPath);
  const hasOutDir = typeof config?.compilerOptions?.outDir === "string";
  const outDir = hasOutDir ? resolve(folder, config!.compilerOptions!.outDir as string) : folder;
  const inOutDir = relative(outDir, output);
  if (inOutDir.startsWith("..") || isAbsolute(inOutDir)) return undefined;
  const extension = extname(output);
  const rootDirs = typeof config?.compilerOptions?.rootDir === "string" ? [resolve(folder, config.compilerOptions.rootDir)] : [folder, join(folder, "src")];
  for (const rootDir of rootDirs) {
    for (const sourceExtension of SOURCE_EXTENSIONS[extension] ?? []) {
      const candidate = join(rootDir, inOutDir.slice(0, inOutDir.length - extension.length) + sourceExtension);
      if (isFile(candidate)) return { source: candidate, rootDir: relative(root, rootDir) || "." };
    }
  }
  // Without an outDir tsc writes next to the sources: a .js file with no .ts beside it is a source itself.
  return hasOutDir ? { source: undefined, rootDir: relative(root, rootDirs[0]!) || "." } : undefined;
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
  const candidates: Array<[string | undefined, string, string | undefined]> = [];
  const toml = readToml(join(root, "fastly.toml"));
  const tomlBuild = (toml?.scripts as Record<string, unknown> | undefined)?.build;
  if (typeof tomlBuild === "string") candidates.push([jsComputeInput(tomlBuild), "fastly.toml [scripts] build", tomlBuild]);
  const pkg = readJson(join(root, "package.json"));
  const scripts = (pkg?.scripts ?? {}) as Record<string, unknown>;
  for (const name of ["build", "prebuild"]) {
    const script = scripts[name];
    // npm runs scripts.prebuild before scripts.build: the TypeScript starter kit's prebuild is its tsc.
    const runs = name === "build" && typeof scripts.prebuild === "string" ? `${scripts.prebuild} && ${script as string}` : script;
    if (typeof script === "string") candidates.push([jsComputeInput(script), `package.json scripts.${name}`, runs as string]);
  }
  if (typeof pkg?.main === "string") candidates.push([pkg.main, "package.json main", undefined]);
  for (const [file, source, command] of candidates) {
    if (file === undefined) continue;
    const path = resolve(root, file);
    const relativePath = relative(root, path);
    if (relativePath.split(/[\\/]/)[0] === "bin") {
      looked.push(`${relativePath} (${source}: a build output, skipped)`);
      continue;
    }
    const compiled = command === undefined ? undefined : tscSource(root, command, path);
    if (compiled !== undefined) {
      if (compiled.source !== undefined) return { path: compiled.source, source: `${source}, the TypeScript that tsc compiles to ${relativePath}` };
      looked.push(`${relativePath} (${source}: tsc's output, skipped; no source for it under ${compiled.rootDir})`);
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
