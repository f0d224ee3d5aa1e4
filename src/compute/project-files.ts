/**
 * `projectFiles(root)`: the `includeBytes` reader over a project folder on disk. Web-standard to load
 * (the plugins' runtimes import it): Node's filesystem is reached through `process.getBuiltinModule`,
 * so outside Node (a browser) there is no reader and `includeBytes` says so.
 *
 * As in the runtime's WASI sandbox, only files inside the project count: a symbolic link that leads
 * out of it cannot be opened.
 */
import { setIncludeBytesReader, type IncludeBytesReader, type IncludeBytesResult } from "./experimental.js";

interface FsLike {
  readFileSync(path: string): Uint8Array;
  statSync(path: string): { isDirectory(): boolean };
  realpathSync(path: string): string;
}

function nodeFs(): FsLike | undefined {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  return typeof getBuiltinModule === "function" ? (getBuiltinModule("node:fs") as FsLike | undefined) : undefined;
}

/**
 * The reader of the files under `root` (an absolute folder path), or undefined where Node's filesystem
 * is not available. `onRead` is told the path of every file read (`edge-kv dev --watch` watches them).
 */
export function projectFiles(root: string, onRead?: (path: string) => void): IncludeBytesReader | undefined {
  const fs = nodeFs();
  if (fs === undefined) return undefined;
  const base = root.replace(/[\\/]+$/, "");
  let realRoot: string | undefined;
  return {
    root: base,
    read(relativePath: string): IncludeBytesResult {
      const path = relativePath === "" ? base : `${base}/${relativePath}`;
      let real: string;
      try {
        real = fs.realpathSync(path);
        realRoot ??= fs.realpathSync(base);
      } catch {
        return "missing";
      }
      if (real !== realRoot && !real.startsWith(`${realRoot}/`) && !real.startsWith(`${realRoot}\\`)) return "missing";
      try {
        if (fs.statSync(real).isDirectory()) return "directory";
        const bytes = fs.readFileSync(real);
        onRead?.(path);
        return bytes;
      } catch {
        return "missing";
      }
    },
  };
}

/**
 * Lets `includeBytes` read the files of the project at `root` (in Node; elsewhere there are no project
 * files and includeBytes says so).
 */
export function useProjectFiles(root: string): void {
  const reader = projectFiles(root);
  if (reader !== undefined) setIncludeBytesReader(reader);
}
