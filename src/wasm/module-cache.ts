/**
 * Compiled guest modules, cached per file path and content hash: a module is compiled once per
 * process (an 11 MB JS-SDK module takes ~80 ms) and every request instantiates the cached one.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export interface CompiledModule {
  module: WebAssembly.Module;
  /** SHA-256 of the module bytes (hex). */
  hash: string;
  path: string | null;
  compileMs: number;
}

const cache = new Map<string, Promise<CompiledModule>>();

export async function compileModule(source: string | URL | Uint8Array): Promise<CompiledModule> {
  const path = typeof source === "string" ? resolve(source) : source instanceof URL ? fileURLToPath(source) : null;
  const bytes = source instanceof Uint8Array ? source : await readFile(path!);
  const hash = createHash("sha256").update(bytes).digest("hex");
  const key = `${path ?? "<bytes>"}\0${hash}`;
  let compiled = cache.get(key);
  if (!compiled) {
    // A rebuilt file replaces its previous module (a watch loop must not keep every build).
    if (path !== null) for (const other of cache.keys()) if (other.startsWith(`${path}\0`)) cache.delete(other);
    compiled = (async () => {
      const started = performance.now();
      const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
      return { module, hash, path, compileMs: performance.now() - started };
    })();
    cache.set(key, compiled);
    compiled.catch(() => cache.delete(key));
  }
  return compiled;
}
