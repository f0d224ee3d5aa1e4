/**
 * Test fixture for "as a user installs it": the repo packed with `npm pack` from a clean copy of its
 * source files (no dist/, as a fresh clone has it, so the tarball holds only what `prepack` builds),
 * and scratch projects in temporary folders that install that tarball with plain `npm install`.
 *
 * - `packTarball()` packs once per source tree: the tarball is cached under
 *   node_modules/.cache/edge-kv-pack/<hash of the packed sources>.tgz, and a lock folder makes
 *   concurrent test files (Vitest workers) wait for one pack instead of packing twice.
 * - `scratchProject({ files, dependencies, link })` writes a package.json (type: module) and `files`,
 *   runs `npm install` (the tarball plus `dependencies` from the npm registry), and symlinks the
 *   packages named in `link` from this repo's node_modules (heavy dev tools such as typescript or
 *   @fastly/js-compute, which would otherwise be downloaded on every run). `run(command)` runs a
 *   shell command in the project; `start(command)` a long-running one.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const cacheDir = join(repoRoot, "node_modules", ".cache", "edge-kv-pack");
const execFileAsync = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The repo's package.json, as packed. */
export function repoPackageJson(): { name: string; version: string; exports: Record<string, unknown>; bin: Record<string, string>; [field: string]: unknown } {
  return JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
}

/** Files of a fresh clone plus files not committed yet (what .gitignore does not exclude), relative to the repo. */
function sourceFiles(): string[] {
  try {
    const out = execFileSyncText("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"]);
    return out.split("\0").filter((path) => path !== "" && existsSync(join(repoRoot, path)) && statSync(join(repoRoot, path)).isFile());
  } catch {
    // Not a git checkout: every file outside node_modules, dist and dot folders.
    const out: string[] = [];
    const visit = (dir: string) => {
      for (const entry of readdirSync(join(repoRoot, dir), { withFileTypes: true })) {
        const path = dir === "" ? entry.name : `${dir}/${entry.name}`;
        if (entry.isDirectory() && !["node_modules", "dist"].includes(entry.name) && !entry.name.startsWith(".")) visit(path);
        else if (entry.isFile()) out.push(path);
      }
    };
    visit("");
    return out;
  }
}

function execFileSyncText(command: string, args: string[]): string {
  return execFileSync(command, args, { cwd: repoRoot, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], maxBuffer: 16 * 1024 * 1024 });
}

let packing: Promise<string> | undefined;

/** Path of the tarball `npm pack` makes from the current sources (packed at most once per source tree). */
export function packTarball(): Promise<string> {
  packing ??= packOnce();
  return packing;
}

/** Top-level folders that neither the build nor the package uses: left out of the copy and the cache key. */
const NOT_PACKED = /^(test|bench|examples|docs|\.ci|\.github)\//;

async function packOnce(): Promise<string> {
  const files = sourceFiles()
    .filter((file) => !NOT_PACKED.test(file))
    .sort();
  const hash = createHash("sha256");
  for (const file of files) hash.update(`${file}\0`).update(readFileSync(join(repoRoot, file))).update("\0");
  const key = hash.digest("hex").slice(0, 16);
  const tarball = join(cacheDir, `${key}.tgz`);
  mkdirSync(cacheDir, { recursive: true });
  const lock = join(cacheDir, `${key}.lock`);
  for (const started = Date.now(); ; ) {
    if (existsSync(tarball)) return tarball;
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, "pid"), String(process.pid));
      break;
    } catch {
      if (lockOwnerGone(lock)) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - started > 300_000) throw new Error(`packTarball: waited 5 minutes for ${lock}; remove it if no test run is packing`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  try {
    if (existsSync(tarball)) return tarball;
    const copy = mkdtempSync(join(tmpdir(), "edge-kv-pack-src-"));
    try {
      for (const file of files) {
        mkdirSync(dirname(join(copy, file)), { recursive: true });
        copyFileSync(join(repoRoot, file), join(copy, file));
      }
      symlinkSync(join(repoRoot, "node_modules"), join(copy, "node_modules"), "dir");
      const out = join(copy, ".pack-out");
      mkdirSync(out);
      await execFileAsync(npm, ["pack", "--pack-destination", out, "--loglevel", "error"], { cwd: copy, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`npm pack failed in a clean copy of the repo: ${error.message}\n${error.stdout ?? ""}\n${error.stderr ?? ""}`);
      });
      const [packed] = readdirSync(out).filter((name) => name.endsWith(".tgz"));
      if (!packed) throw new Error(`npm pack made no tarball in ${out}`);
      for (const old of readdirSync(cacheDir)) if (old.endsWith(".tgz")) rmSync(join(cacheDir, old), { force: true });
      copyFileSync(join(out, packed), `${tarball}.partial`);
      renameSync(`${tarball}.partial`, tarball);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
    return tarball;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockOwnerGone(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(join(lock, "pid"), "utf8"));
  } catch {
    // Just created and no pid yet, or already removed: only stale when old.
    try {
      return Date.now() - statSync(lock).mtimeMs > 60_000;
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Paths inside a tarball (`package/...`), as `tar -tzf` lists them. */
export async function tarballFiles(tarball: string): Promise<string[]> {
  const { stdout } = await execFileAsync("tar", ["-tzf", tarball], { maxBuffer: 16 * 1024 * 1024 });
  return stdout.split("\n").filter((line) => line !== "");
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Started {
  child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern` (rejects if the process exits first or after `timeoutMs`). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Stops the process (SIGTERM) and resolves when it has exited. */
  stop(): Promise<void>;
}

export interface ScratchProject {
  dir: string;
  /** Runs a shell command in the project (node_modules/.bin on PATH). Rejects on a non-zero exit unless `allowFailure`. */
  run(command: string, options?: { allowFailure?: boolean; env?: Record<string, string>; timeoutMs?: number }): Promise<RunResult>;
  /** Starts a long-running shell command in the project. */
  start(command: string, options?: { env?: Record<string, string> }): Started;
  /** Writes more files into the project. */
  write(files: Record<string, string>): void;
}

export interface ScratchOptions {
  /** Files to write, path relative to the project → contents. A `package.json` here replaces the default one (edge-kv is added to its dependencies). */
  files?: Record<string, string>;
  /** More dependencies to install from the npm registry, name → version range. */
  dependencies?: Record<string, string>;
  /** Packages to symlink from this repo's node_modules instead of installing (e.g. "typescript", "@fastly/js-compute"). */
  link?: string[];
}

const made: string[] = [];
/** Projects with packages linked from this repo: npm must never run in them again (its prune follows links). */
const linkedProjects = new Set<string>();
const started: Started[] = [];

/** A temporary project with the packed edge-kv installed. Remove them all with removeScratchProjects(). */
export async function scratchProject(options: ScratchOptions = {}): Promise<ScratchProject> {
  const tarball = await packTarball();
  const dir = mkdtempSync(join(tmpdir(), "edge-kv-scratch-"));
  made.push(dir);
  const { "package.json": packageText, ...files } = options.files ?? {};
  const packageJson = packageText === undefined ? { name: "scratch", private: true, type: "module" } : JSON.parse(packageText);
  packageJson.dependencies = { ...packageJson.dependencies, ...options.dependencies, "edge-kv": `file:${tarball}` };
  // Linked packages are symlinked after the install; npm must not try to fetch them.
  const final = JSON.stringify(packageJson, null, 2) + "\n";
  for (const field of ["dependencies", "devDependencies"]) {
    const ranges = packageJson[field] as Record<string, string> | undefined;
    if (ranges) for (const name of options.link ?? []) delete ranges[name];
  }
  writeFileSync(join(dir, "package.json"), JSON.stringify(packageJson, null, 2) + "\n");
  const project = makeProject(dir);
  project.write(files);
  await project.run("npm install --no-audit --no-fund --loglevel=error", { timeoutMs: 240_000 });
  for (const name of options.link ?? []) {
    const target = join(repoRoot, "node_modules", name);
    if (!existsSync(target)) throw new Error(`scratchProject: cannot link ${name}: ${target} does not exist (is it a devDependency of edge-kv?)`);
    mkdirSync(dirname(join(dir, "node_modules", name)), { recursive: true });
    symlinkSync(target, join(dir, "node_modules", name), "dir");
  }
  // The linked packages back in package.json, as the user's project lists them.
  writeFileSync(join(dir, "package.json"), final);
  if ((options.link ?? []).length > 0) linkedProjects.add(dir);
  return project;
}

function makeProject(dir: string): ScratchProject {
  const env = (extra: Record<string, string> = {}) => ({
    ...process.env,
    PATH: `${join(dir, "node_modules", ".bin")}${process.platform === "win32" ? ";" : ":"}${process.env.PATH ?? ""}`,
    // Vitest sets these for its own workers; a user's shell has none of them.
    VITEST: "",
    VITEST_MODE: "",
    VITEST_POOL_ID: "",
    VITEST_WORKER_ID: "",
    NODE_OPTIONS: "",
    ...extra,
  });
  return {
    dir,
    write(files) {
      for (const [path, contents] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), contents);
      }
    },
    run(command, options = {}) {
      if (linkedProjects.has(dir) && /\bnpm\s+(i|install|ci|uninstall|update|prune|dedupe|add|rm)\b/.test(command)) {
        return Promise.reject(new Error(`scratchProject: \`${command}\` would let npm prune the packages linked from this repo; list them in dependencies instead`));
      }
      return new Promise((resolve, reject) => {
        const child = spawn(command, { cwd: dir, shell: true, env: env(options.env), stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
        child.on("error", reject);
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
          if (result.code !== 0 && !options.allowFailure) {
            reject(new Error(`\`${command}\` in ${dir} exited with ${code ?? signal}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
          } else resolve(result);
        });
      });
    },
    start(command, options = {}) {
      const child = spawn(command, { cwd: dir, shell: true, env: env(options.env), stdio: ["ignore", "pipe", "pipe"], detached: process.platform !== "win32" });
      const lines: string[] = [];
      let stderr = "";
      let partial = "";
      const listeners = new Set<() => void>();
      child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
        partial += chunk;
        const parts = partial.split("\n");
        partial = parts.pop()!;
        lines.push(...parts);
        for (const listener of listeners) listener();
      });
      child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const exited = new Promise<void>((resolve) => child.on("close", () => resolve()));
      const handle: Started = {
        child,
        waitForLine(pattern, timeoutMs = 30_000) {
          return new Promise((resolve, reject) => {
            const check = () => {
              const line = lines.find((candidate) => pattern.test(candidate));
              if (line !== undefined) done(() => resolve(line));
            };
            const timer = setTimeout(() => done(() => reject(new Error(`\`${command}\` printed no line matching ${pattern} in ${timeoutMs} ms\n--- stdout\n${lines.join("\n")}\n--- stderr\n${stderr}`))), timeoutMs);
            const onExit = () => done(() => reject(new Error(`\`${command}\` exited before printing a line matching ${pattern}\n--- stdout\n${lines.join("\n")}\n--- stderr\n${stderr}`)));
            const done = (settle: () => void) => {
              clearTimeout(timer);
              listeners.delete(check);
              child.off("close", onExit);
              settle();
            };
            listeners.add(check);
            child.once("close", onExit);
            check();
          });
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) {
            // The shell and its child (npx → node) form one process group: stop them all.
            try {
              if (process.platform === "win32") child.kill();
              else process.kill(-child.pid!, "SIGTERM");
            } catch {
              // already gone
            }
          }
          await exited;
        },
      };
      started.push(handle);
      return handle;
    },
  };
}

/** Stops what scratch projects started and removes their folders. */
export async function removeScratchProjects(): Promise<void> {
  await Promise.all(started.splice(0).map((handle) => handle.stop()));
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The export paths of package.json (".", "./node", ...), and whether each has a runtime (non-types) target. */
export function exportPaths(): Array<{ path: string; runtime: boolean; targets: string[] }> {
  const exportsField = repoPackageJson().exports;
  return Object.entries(exportsField).map(([path, target]) => {
    const targets: string[] = [];
    let runtime = false;
    const visit = (value: unknown, condition: string | null) => {
      if (typeof value === "string") {
        targets.push(value);
        if (condition !== "types") runtime = true;
      } else if (value && typeof value === "object") for (const [name, inner] of Object.entries(value)) visit(inner, name);
    };
    visit(target, null);
    return { path, runtime, targets };
  });
}

