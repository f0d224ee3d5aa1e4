/**
 * Reads the store bytes the Vite plugin kept out of generated source (see blobs.ts) back into a
 * configuration. Web-standard: Node's filesystem through `process.getBuiltinModule` (no import), else
 * `fetch` of the dev server's `/@fs/` URL.
 */
import { EdgeKvError } from "../errors.js";
import type { ConfiguredKv } from "../testing/current.js";

export const BLOB_MARK = "$edgeKvBlob";

type FsPromises = { readFile(path: string): Promise<Uint8Array> };

async function readBlob(blob: NonNullable<ConfiguredKv["blob"]>): Promise<Uint8Array> {
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  const fs = typeof getBuiltin === "function" ? (getBuiltin("node:fs/promises") as FsPromises | undefined) : undefined;
  let bytes: Uint8Array;
  try {
    if (fs) bytes = new Uint8Array(await fs.readFile(blob.path));
    else {
      const response = await fetch(blob.url);
      if (!response.ok) throw new Error(`HTTP ${response.status} for ${blob.url}`);
      bytes = new Uint8Array(await response.arrayBuffer());
    }
  } catch (error) {
    throw new EdgeKvError(`could not read the store data the edgeKv() plugin wrote to ${blob.path}: ${(error as Error).message}. Delete the folder and run again`, { cause: error });
  }
  if (bytes.byteLength !== blob.bytes) throw new EdgeKvError(`the store data file ${blob.path} has ${bytes.byteLength} bytes, expected ${blob.bytes}. Delete it and run again`);
  return bytes;
}

/** `config` with every blob marker replaced by its bytes (config itself when it has no blob). */
export async function withBlobs(config: ConfiguredKv): Promise<ConfiguredKv> {
  if (!config.blob) return config;
  const blob = await readBlob(config.blob);
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (value === null || typeof value !== "object" || ArrayBuffer.isView(value)) return value;
    const mark = (value as Record<string, unknown>)[BLOB_MARK];
    if (Array.isArray(mark)) return blob.slice(mark[0] as number, (mark[0] as number) + (mark[1] as number));
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
  };
  const { blob: _, ...rest } = config;
  return visit(rest) as ConfiguredKv;
}
