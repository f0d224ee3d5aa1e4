/**
 * Keeps store bytes out of generated module source (Node only, used by the Vite plugin). Byte values of
 * at least `minBytes` are moved into one content-addressed file under Vite's cache folder and replaced by
 * `{ $edgeKvBlob: [offset, length] }` markers; the runtime (blob-runtime.ts) reads the file back — with
 * the filesystem in Node, over the dev server (`/@fs/...`) in a browser. Inlining a 22 MB value as source
 * made Vite fail ("Failed to convert rust String into napi string").
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import type { ConfiguredKv } from "../testing/current.js";
import { BLOB_MARK } from "./blob-runtime.js";

/** Values from this size on go to the blob file. */
export const BLOB_MIN_BYTES = 4096;
/** Blob files not written for a day are removed when a new one is written. */
const STALE_MS = 24 * 60 * 60 * 1000;

/** A copy of `config` whose large byte values are markers into a blob file written in `dir` (none: config unchanged). */
export function externalizeBytes(config: ConfiguredKv, dir: string, minBytes = BLOB_MIN_BYTES): ConfiguredKv {
  const parts: Uint8Array[] = [];
  let size = 0;
  const visit = (value: unknown): unknown => {
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
      const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
      if (bytes.byteLength < minBytes) return bytes;
      parts.push(bytes);
      size += bytes.byteLength;
      return { [BLOB_MARK]: [size - bytes.byteLength, bytes.byteLength] };
    }
    if (Array.isArray(value)) return value.map(visit);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
    return value;
  };
  const out = visit(config) as ConfiguredKv;
  if (parts.length === 0) return config;
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  const name = `${hash.digest("hex").slice(0, 32)}.bin`;
  const path = join(dir, name);
  mkdirSync(dir, { recursive: true });
  if (!existsSync(path)) {
    const temporary = `${path}.${process.pid}.tmp`;
    const joined = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      joined.set(part, offset);
      offset += part.byteLength;
    }
    writeFileSync(temporary, joined);
    renameSync(temporary, path);
  }
  removeStale(dir, name);
  return { ...out, blob: { path, url: `/@fs${path.startsWith("/") ? "" : "/"}${path.split("\\").join("/")}`, bytes: size } };
}

function removeStale(dir: string, keep: string): void {
  const now = Date.now();
  for (const file of readdirSync(dir)) {
    if (file === keep || !file.endsWith(".bin")) continue;
    try {
      if (now - statSync(join(dir, file)).mtimeMs > STALE_MS) unlinkSync(join(dir, file));
    } catch {
      // another process may have removed it
    }
  }
}
