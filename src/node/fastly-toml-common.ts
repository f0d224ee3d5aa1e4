/**
 * What every `fastly.toml` section reader shares: the error wording (Viceroy's text, then where),
 * TOML value checks, reading files as bytes or strict UTF-8, and path resolution.
 */
import { promises as fsp } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { EdgeKvError } from "../errors.js";
import { decodeUtf8Strict, firstInvalidUtf8Offset } from "../utf8.js";

export type Table = Record<string, unknown>;

export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

export function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (isTable(value)) return "a table";
  return typeof value === "string" ? "a string" : `${typeof value} ${String(value)}`;
}

/** Where a config problem is, appended to Viceroy's text. */
export interface Place {
  toml: string;
  /** A file the fastly.toml names (a whole-store JSON file) that the problem is in. */
  json?: string;
  key?: string;
  /** 1-based position of an inline entry that has no usable key. */
  entry?: number;
}

/** `invalid configuration for '<store>': <text> [file <path>, key '<key>']`, as every section reports it. */
export function configError(store: string, text: string, place: Place): EdgeKvError {
  const file = place.json === undefined ? `file ${place.toml}` : `file ${place.json} (listed in ${place.toml})`;
  const what = place.key !== undefined ? `, key '${place.key}'` : place.entry !== undefined ? `, entry ${place.entry}` : "";
  return new EdgeKvError(`invalid configuration for '${store}': ${text} [${file}${what}]`);
}

/** Why a file could not be read, in a few words. */
export function ioReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "EISDIR") return "it is a folder, not a file";
  return (error as Error)?.message ?? String(error);
}

export async function readBytes(path: string): Promise<Uint8Array> {
  return new Uint8Array(await fsp.readFile(path));
}

/** A file's text (a leading U+FEFF kept), or the offset of its first byte that is not UTF-8 and the text before it. */
export async function readUtf8(path: string): Promise<{ text: string } | { badByte: number; before: string }> {
  const bytes = await readBytes(path);
  const bad = firstInvalidUtf8Offset(bytes);
  if (bad === -1) return { text: decodeUtf8Strict(bytes) };
  return { badByte: bad, before: decodeUtf8Strict(bytes.subarray(0, bad)) };
}

/** How a section words the errors of a JSON file it names. */
export interface JsonFileErrors {
  /** The file cannot be read (`reason`: ioReason's words). */
  unreadable(reason: string): Error;
  /** The file's contents are wrong (`text`: what is wrong). */
  invalid(text: string): Error;
  /** Viceroy's text for a file that is not one JSON object. */
  wrongFile: string;
}

/** A JSON file that must hold one object: strict UTF-8, no byte order mark (Viceroy refuses both). */
export async function readJsonObject(path: string, errors: JsonFileErrors): Promise<Table> {
  let read: Awaited<ReturnType<typeof readUtf8>>;
  try {
    read = await readUtf8(path);
  } catch (error) {
    throw errors.unreadable(ioReason(error));
  }
  if (!("text" in read)) throw errors.invalid(`The file is not valid UTF-8 (byte ${read.badByte}). Save it as UTF-8.`);
  if (read.text.startsWith("\uFEFF")) {
    throw errors.invalid("The file starts with a byte order mark (U+FEFF), which JSON does not allow (Viceroy refuses it too). Save it as UTF-8 without BOM.");
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(read.text);
  } catch {
    throw errors.invalid(errors.wrongFile);
  }
  if (!isTable(parsed)) throw errors.invalid(errors.wrongFile);
  return parsed;
}

/** `line:column` (1-based, column in characters) just after `text`. */
export function endPosition(text: string): string {
  const lines = text.split("\n");
  return `${lines.length}:${[...lines[lines.length - 1]!].length + 1}`;
}

/** A path from the config: absolute as it is, relative against `base` (the fastly.toml's folder). */
export function resolveFrom(base: string, path: string): string {
  return isAbsolute(path) ? path : resolve(base, path);
}
