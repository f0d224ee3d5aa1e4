/**
 * `fastly:experimental` as the Compute runtime's module exports it (js-compute-runtime 3.46.0,
 * `runtime/fastly/builtins/fastly.cpp` and `src/esbuild-plugins/fastlyPlugin.ts`; behaviour checked
 * against the real runtime by test/wasm/experimental.test.ts). Web-standard: files are read through a
 * reader that the Node side installs (`setIncludeBytesReader`, `projectFiles(root)` from edge-kv/node).
 *
 * - `includeBytes(path)` reads `path` relative to the project root (the folder the Compute build ran in;
 *   a leading "/" is that root too; ".." may not leave it). On Compute it runs at build time only: at
 *   request time it throws the runtime's TypeError — whose text, copied from StarlingMonkey's
 *   `Errors::InitializationOnly`, says the opposite ("can only be used during request handling...").
 *   edge-kv refuses only when a host says a request is being handled (edge-kv dev, loadApp).
 * - `setBaseURL`, `setDefaultBackend`, `allowDynamicBackends`, `enableDebugLogging`,
 *   `setReusableSandboxOptions`: arguments are checked as the runtime checks them; nothing else happens
 *   (the JS emulation's `fetch` is the platform's: no backends, no base URL, no debug log, no sandboxes).
 * - `sdkVersion`: the version of @fastly/js-compute whose runtime edge-kv follows.
 * - `mapError(e)` / `mapAndLogError(e)`: what a build without `--enable-stack-traces` gives.
 */
import { EdgeKvError } from "../errors.js";
import { Messages } from "../messages.js";
import { computeContext } from "./context.js";
import { processHook } from "./process-hook.js";

/** The @fastly/js-compute version whose runtime edge-kv's emulation and types follow. */
export const sdkVersion: string = "3.46.0";

/**
 * What a reader answers for a path relative to the project root ("" is the root itself, segments
 * joined with "/", never ".." or "."): the file's bytes, or why it cannot be read.
 */
export type IncludeBytesResult = Uint8Array | "missing" | "directory";

/** Reads project files for `includeBytes`: `root` names the project folder in messages. */
export interface IncludeBytesReader {
  readonly root: string;
  read(relativePath: string): IncludeBytesResult;
}

const installedReader = processHook<IncludeBytesReader>("edge-kv.include-bytes.reader");

/**
 * Installs the reader `includeBytes` uses (null: none). Returns a function that puts back the previous
 * one. Kept on globalThis, so every copy of edge-kv in the process uses the same reader.
 */
export function setIncludeBytesReader(reader: IncludeBytesReader | null): () => void {
  if (reader !== null && (typeof reader !== "object" || typeof reader.read !== "function")) {
    throw new TypeError("setIncludeBytesReader expects { root, read(path) } (projectFiles(root) from edge-kv/node) or null");
  }
  return installedReader.set(reader);
}

/** The reader installed now, if any. */
export function includeBytesReader(): IncludeBytesReader | undefined {
  return installedReader.get();
}

/**
 * The path inside the project that the runtime opens for `path` (the WASI sandbox: the build folder is
 * the only directory there is), or undefined when it leaves the project.
 */
export function projectPath(path: string): string | undefined {
  const segments: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else segments.push(segment);
  }
  return segments.join("/");
}

function openError(path: string): Error {
  return new Error(`Error opening file ${path}`);
}

/** Embeds a project file as a Uint8Array (build-time initialization only). */
export function includeBytes(path: string): Uint8Array<ArrayBuffer> {
  if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("fastly.includeBytes", 1, 0));
  if (computeContext()?.phase === "request") {
    throw new TypeError("fastly.includeBytes can only be used during request handling, not during initialization");
  }
  let name = `${path}`;
  // The runtime passes the UTF-8 path to fopen as a C string: it ends at the first NUL.
  const nul = name.indexOf("\0");
  if (nul !== -1) name = name.slice(0, nul);
  const reader = includeBytesReader();
  if (reader === undefined) {
    throw new EdgeKvError(
      `includeBytes(${JSON.stringify(name)}): no project files to read here. On Compute the file is read at build time from the project folder; ` +
        "edge-kv reads it through Node: run the app with edge-kv dev, node --import edge-kv/register or the edgeKv() Vite/Vitest plugin in Node, " +
        "or install a reader first: setIncludeBytesReader(projectFiles(root)) (edge-kv and edge-kv/node). In a browser there is no project folder to read",
    );
  }
  const inside = projectPath(name);
  if (inside === undefined) throw openError(name);
  const result = reader.read(inside);
  if (result === "missing") throw openError(name);
  // fopen succeeds on a folder; the runtime then sizes its array from ftell's answer and fails.
  if (result === "directory") throw new RangeError("invalid array length");
  const bytes = new Uint8Array(result.byteLength);
  bytes.set(result);
  return bytes;
}

function requireArgument(fn: string, count: number): void {
  if (count < 1) throw new TypeError(Messages.notEnoughArguments(fn, 1, 0));
}

/** Accepted as the runtime accepts it (a URL, null or undefined; it returns the new base); `fetch` is not changed. */
export function setBaseURL(base: URL | null | undefined): URL | null {
  if (base !== null && base !== undefined && !(base instanceof URL)) {
    throw new Error("Invalid value assigned to fastly.baseURL, must be an instance of URL, null, or undefined");
  }
  return base ?? null;
}

/** Accepted (the name is converted to a string, as the runtime does); `fetch` is not changed. */
export function setDefaultBackend(backend: string): void {
  void `${backend}`;
}

const MAX_BACKEND_TIMEOUT = 0x100000000;

/** Accepted: a boolean, or default timeouts checked as the runtime checks them; `fetch` is not changed. */
export function allowDynamicBackends(enabled: boolean | { connectTimeout?: number; firstByteTimeout?: number; betweenBytesTimeout?: number }): void {
  if (typeof enabled !== "object" || enabled === null) return;
  for (const name of ["connectTimeout", "firstByteTimeout", "betweenBytesTimeout"] as const) {
    if (!(name in enabled)) continue;
    const value = Number(enabled[name]);
    if (Number.isNaN(value)) throw new RangeError(`Backend constructor: ${name} is not a valid number`);
    if (value < 0) throw new RangeError(`Backend constructor: ${name} can not be a negative number`);
    if (value >= MAX_BACKEND_TIMEOUT) throw new RangeError(`Backend constructor: ${name} is above the maximum of ${MAX_BACKEND_TIMEOUT}`);
  }
}

/** Accepted (the argument is required); the JS emulation has no runtime debug log. */
export function enableDebugLogging(enabled: boolean): void {
  requireArgument("enableDebugLogging", arguments.length);
  void enabled;
}

const SANDBOX_OPTIONS = ["maxRequests", "betweenRequestTimeoutMs", "maxMemoryMiB", "sandboxTimeoutMs"] as const;

/** Checked as the runtime checks it (build time only, non-negative int32 options); edge-kv has no sandboxes to reuse. */
export function setReusableSandboxOptions(options: { maxRequests?: number; betweenRequestTimeoutMs?: number; maxMemoryMiB?: number; sandboxTimeoutMs?: number }): void {
  if (computeContext()?.phase === "request") throw new Error("Reusable sandbox options can only be set at initialization time");
  requireArgument("fastly.setReusableSandboxOptions", arguments.length);
  if ((typeof options !== "object" && typeof options !== "function") || options === null) throw new Error("Options parameter must be an object");
  for (const name of SANDBOX_OPTIONS) {
    const value = (options as Record<string, unknown>)[name];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isInteger(value) || value > 0x7fffffff || value < -0x80000000 || Object.is(value, -0)) {
      throw new Error(`${name} option must be an integer`);
    }
    if (value < 0) throw new Error(`${name} option must be a non-negative integer`);
  }
}

const RAW_ERROR = "(Raw error) - build with --enable-stack-traces for mapped stack information.";

/** What the runtime's default build returns: a hint line, then the error (or string) itself. */
export function mapError(error: Error | string): (Error | string)[] {
  return [RAW_ERROR, error];
}

/** Logs mapError's lines to console.error, one call each. */
export function mapAndLogError(error: Error | string): void {
  for (const line of mapError(error)) console.error(line);
}
