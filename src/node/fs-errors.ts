/** The filesystem driver's errors: a damaged record, and folder problems explained with what to do. */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { EdgeKvError } from "../errors.js";

/** A damaged record: the store refuses to serve it (see FileSystemDriver.repair). */
export class StoreCorruptedError extends EdgeKvError {
  /** The log segment holding the damaged record. */
  readonly file: string;
  /** Byte offset of the damaged record in `file`. */
  readonly offset: number;
  /** The key whose record is damaged, when known. */
  readonly key: string | undefined;

  constructor(directory: string, file: string, offset: number, reason: string, key?: string) {
    super(
      `store folder '${directory}': the record at byte ${offset} of '${file}'${key === undefined ? "" : ` (key '${key}')`} is corrupted (${reason}); ` +
        `edge-kv will not serve it. Restore the folder from a backup, or run FileSystemDriver.repair('${directory}') to rebuild the store from ` +
        `every record that can still be read (the damaged file is kept aside, not deleted).`,
    );
    this.name = "StoreCorruptedError";
    this.file = file;
    this.offset = offset;
    this.key = key;
  }
}

/** A system error met while `doing` something to the store folder, with advice for the usual causes. */
export function folderError(directory: string, error: unknown, doing: string): EdgeKvError {
  const errorCode = code(error);
  const path = (error as NodeJS.ErrnoException | null)?.path ?? directory;
  let advice: string;
  if (errorCode === "EACCES" || errorCode === "EPERM") advice = `permission denied on '${path}'. Give this user read and write access to the folder, or choose another directory.`;
  else if (errorCode === "ENOTDIR" || errorCode === "EEXIST") advice = `'${firstFileOnPath(path)}' is a file where a folder is expected. Move that file away or choose another directory.`;
  else if (errorCode === "EROFS") advice = `'${path}' is on a read-only file system. Choose a writable directory.`;
  else if (errorCode === "ENOSPC" || errorCode === "EDQUOT") advice = `the disk holding '${path}' is full. Free some space; nothing was written.`;
  else advice = `${(error as Error)?.message ?? String(error)}.`;
  return new EdgeKvError(`store folder '${directory}': cannot ${doing}: ${advice}`, { cause: error });
}

/** The first ancestor of `path` (or `path` itself) that exists and is not a folder. */
function firstFileOnPath(path: string): string {
  const parts: string[] = [];
  for (let current = path; ; current = dirname(current)) {
    parts.push(current);
    if (dirname(current) === current) break;
  }
  for (const candidate of parts.reverse()) {
    try {
      if (!statSync(candidate).isDirectory()) return candidate;
    } catch {
      return path;
    }
  }
  return path;
}

export function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** A short description of a value for messages. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (value === null) return "null";
  if (typeof value === "object") return Array.isArray(value) ? "an array" : "an object";
  return `${typeof value} ${String(value)}`;
}
