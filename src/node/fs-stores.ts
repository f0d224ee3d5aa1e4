/**
 * Stores of a registry in folders under one root: `fileSystemStores(root)` for
 * `new KVRegistry({ createDriver })`, and the store-name → folder-name mapping it uses.
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { EdgeKvError } from "../errors.js";
import { FileSystemDriver, describeValue, type FileSystemDriverOptions } from "./fs-driver.js";

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/**
 * The folder name of a store: lowercase letters, digits, `-` and `_` stay as they are; every other
 * UTF-8 byte (uppercase letters, dots, slashes, spaces...) becomes `~` and two lowercase hex digits.
 * Distinct names give distinct folders, also on case-insensitive file systems, and no name can
 * climb out of the root. Names whose encoding passes 200 characters are shortened to their first
 * 100 characters, `~~`, and the SHA-256 of the name; the store's marker file records the full name, so
 * even a hash collision is refused rather than shared.
 */
export function storeFolderName(storeName: string): string {
  const bytes = new TextEncoder().encode(storeName);
  let out = "";
  for (const byte of bytes) {
    const isPlain = (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f;
    out += isPlain ? String.fromCharCode(byte) : `~${byte.toString(16).padStart(2, "0")}`;
  }
  if (WINDOWS_RESERVED.test(out)) out = `~${out.charCodeAt(0).toString(16)}${out.slice(1)}`;
  if (out.length > 200) out = `${out.slice(0, 100)}~~${sha256Hex(bytes)}`;
  return out;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface FileSystemStoresOptions extends Omit<FileSystemDriverOptions, "directory" | "storeName"> {}

/**
 * A driver factory for `new KVRegistry({ createDriver })`: each store gets its own folder under
 * `rootDirectory`, named by storeFolderName.
 */
export function fileSystemStores(rootDirectory: string, options: FileSystemStoresOptions = {}): (storeName: string) => FileSystemDriver {
  if (typeof rootDirectory !== "string" || rootDirectory === "") {
    throw new EdgeKvError(`fileSystemStores: rootDirectory must be a non-empty path string, got ${describeValue(rootDirectory)}`);
  }
  const root = resolve(rootDirectory);
  return (storeName: string) => new FileSystemDriver({ ...options, directory: join(root, storeFolderName(storeName)), storeName });
}
