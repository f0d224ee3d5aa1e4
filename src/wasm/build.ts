/**
 * Builds a Compute app's JavaScript entry into wasm with the project's own `@fastly/js-compute`
 * (its CLI, offline), cached by content: the key is a hash of the entry bundled with esbuild (so any
 * file it imports counts), of the files it embeds with `includeBytes("path")` (string literals only),
 * the js-compute version and the build flags. A cached build is reused
 * across test files and runs; a fresh clone builds each app once (~1–3 s).
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";
import { EdgeKvError } from "../errors.js";

const run = promisify(execFile);

export interface BuildOptions {
  /** Where `@fastly/js-compute` is resolved from and the cache lives. Default: process.cwd(). */
  projectRoot?: string;
  /** Cache folder. Default: <projectRoot>/node_modules/.cache/edge-kv-wasm. */
  cacheDir?: string;
  /** Extra js-compute-runtime flags (e.g. ["--enable-stack-traces"]); part of the cache key. */
  flags?: string[];
}

export interface BuildResult {
  /** Path of the built module. */
  wasm: string;
  hash: string;
  /** It came from the cache. */
  cached: boolean;
  ms: number;
}

const building = new Map<string, Promise<BuildResult>>();

interface Toolchain {
  cli: string;
  version: string;
  esbuild: typeof import("esbuild");
}

async function toolchain(projectRoot: string): Promise<Toolchain> {
  const require = createRequire(join(projectRoot, "package.json"));
  let manifestPath: string | null = null;
  try {
    // The package's exports do not include package.json: find it above its main entry.
    for (let dir = dirname(require.resolve("@fastly/js-compute")); dir !== dirname(dir); dir = dirname(dir)) {
      if (existsSync(join(dir, "package.json")) && basename(dir) === "js-compute") {
        manifestPath = join(dir, "package.json");
        break;
      }
    }
  } catch {
    manifestPath = null;
  }
  if (manifestPath === null) {
    throw new EdgeKvError(`cannot build a Compute app: @fastly/js-compute is not installed in ${projectRoot} (npm install --save-dev @fastly/js-compute)`);
  }
  const manifest = JSON.parse(await readFile(manifestPath, "utf8")) as { version: string; bin: Record<string, string> };
  const cli = join(dirname(manifestPath), manifest.bin["js-compute-runtime"] ?? "dist/cli/js-compute-runtime-cli.js");
  // js-compute bundles with esbuild itself, so it is always there next to it.
  const fromJsCompute = createRequire(manifestPath);
  const esbuild = (await import(pathToImport(fromJsCompute.resolve("esbuild")))) as typeof import("esbuild");
  return { cli, version: manifest.version, esbuild: (esbuild as { default?: typeof import("esbuild") }).default ?? esbuild };
}

function pathToImport(path: string): string {
  return new URL(`file://${path}`).href;
}

/** A build lock older than this is left over from a process that died. */
const STALE_LOCK_MS = 180_000;

/**
 * Claims the build of `wasm`: resolves a lock to release after building, or null once another
 * process finished building it.
 */
async function claimBuild(lockPath: string, wasm: string): Promise<{ release(): Promise<void> } | null> {
  for (;;) {
    try {
      await (await open(lockPath, "wx")).close();
      return { release: () => rm(lockPath, { force: true }) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (existsSync(wasm)) return null;
    const age = await stat(lockPath).then((info) => Date.now() - info.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) await rm(lockPath, { force: true });
    else await new Promise((resume) => setTimeout(resume, 100));
    if (existsSync(wasm)) return null;
  }
}

/** The string-literal paths of includeBytes("...") calls in bundled code (dynamic paths are not seen). */
function includedFiles(code: string): string[] {
  const paths = new Set<string>();
  for (const match of code.matchAll(/includeBytes\d*\)?\(\s*(["'`])((?:(?!\1)[^\\\n])*)\1\s*\)/g)) paths.add(match[2]!);
  return [...paths].sort();
}

/** Builds `entry` (a JS or TS file with `addEventListener("fetch", ...)`) into a wasm module, or reuses the cached one. */
export async function buildComputeApp(entry: string, options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const projectRoot = resolve(options.projectRoot ?? process.cwd());
  const input = resolve(projectRoot, entry);
  if (!existsSync(input)) throw new EdgeKvError(`cannot build a Compute app: ${input} does not exist`);
  const tools = await toolchain(projectRoot);
  const bundle = await tools.esbuild.build({
    entryPoints: [input],
    bundle: true,
    write: false,
    format: "esm",
    platform: "neutral",
    external: ["fastly:*"],
    logLevel: "silent",
  });
  const flags = options.flags ?? [];
  const code = bundle.outputFiles[0]!.contents;
  const digest = createHash("sha256").update(`js-compute ${tools.version}\0${flags.join(" ")}\0`).update(code);
  // Files the app embeds with includeBytes("literal path") (read from the build folder) count too.
  for (const path of includedFiles(new TextDecoder().decode(code))) {
    digest.update(`\0${path}\0`).update(await readFile(resolve(projectRoot, path.replace(/^\/+/, ""))).catch(() => "(unreadable)"));
  }
  const hash = digest.digest("hex").slice(0, 32);
  const cacheDir = resolve(projectRoot, options.cacheDir ?? "node_modules/.cache/edge-kv-wasm");
  const wasm = join(cacheDir, `${hash}.wasm`);
  if (existsSync(wasm)) return { wasm, hash, cached: true, ms: performance.now() - started };

  let pending = building.get(wasm);
  if (!pending) {
    pending = (async () => {
      await mkdir(cacheDir, { recursive: true });
      // Test files run in parallel processes: one builds, the others wait for its file.
      const lock = await claimBuild(`${wasm}.lock`, wasm);
      if (lock === null) return { wasm, hash, cached: true, ms: performance.now() - started };
      const temporary = `${wasm}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      try {
        await run(process.execPath, [tools.cli, ...flags, input, temporary], { cwd: projectRoot, maxBuffer: 16 * 1024 * 1024 });
        await rename(temporary, wasm); // atomic: a reader never sees half a module
      } catch (error) {
        await rm(temporary, { force: true });
        const output = error as { stderr?: string; stdout?: string; message: string };
        throw new EdgeKvError(`js-compute-runtime could not build ${input}:\n${(output.stderr || output.stdout || output.message).trim()}`);
      } finally {
        await lock.release();
      }
      return { wasm, hash, cached: false, ms: performance.now() - started };
    })();
    building.set(wasm, pending);
    pending.finally(() => building.delete(wasm)).catch(() => undefined);
  }
  return pending;
}
