/**
 * The data format of `edge-kv export` / `import` / `pull` / `push` and of the explorer's import and
 * export: newline-delimited JSON, one record a line, exactly the lines Fastly's batch endpoint takes —
 * `{"key", "value" (base64), "metadata"?, "time_to_live_sec"?}` — plus the whole-store JSON files that
 * fastly.toml names (`{ "<key>": "<data>" | { "data" | "file", "metadata"? } }`).
 * Web-standard: the explorer page bundles this module too.
 */
import { encodeCursor, type StoreAdmin } from "../admin.js";
import type { StoreSettings } from "../core.js";
import { EdgeKvError } from "../errors.js";
import { KVLimits } from "../limits.js";
import { keyError } from "../rules.js";
import { base64ToBytes, bytesToBase64, encodeUtf8, isValidUtf8, decodeUtf8Strict, utf8ByteLength } from "../utf8.js";

/** One entry in transit. `ttl` is whole seconds left to live, as `time_to_live_sec`. */
export interface TransferRecord {
  key: string;
  value: Uint8Array;
  metadata?: string;
  ttl?: number;
}

/** A bad input record: `line` is the 1-based line of the file (or the entry number of a JSON store). */
export class RecordError extends EdgeKvError {
  readonly line: number;
  constructor(line: number, message: string, where = "line") {
    super(`${where} ${line}: ${message}`);
    this.name = "RecordError";
    this.line = line;
  }
}

const FIELDS = new Set(["key", "value", "metadata", "time_to_live_sec", "background_fetch"]);

/** The NDJSON line (no newline) for a record, fields in Fastly's order. */
export function recordToLine(record: TransferRecord): string {
  const line: Record<string, unknown> = { key: record.key, value: bytesToBase64(record.value) };
  if (record.metadata !== undefined) line.metadata = record.metadata;
  if (record.ttl !== undefined) line.time_to_live_sec = record.ttl;
  return JSON.stringify(line);
}

/** Parses one NDJSON line (1-based `line` for messages); null for a blank line. Throws RecordError. */
export function parseRecordLine(text: string, line: number): TransferRecord | null {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new RecordError(line, `not valid JSON: ${preview(trimmed)}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RecordError(line, `expected a JSON object {"key", "value" (base64), "metadata"?, "time_to_live_sec"?}, got ${preview(trimmed)}`);
  }
  const item = parsed as Record<string, unknown>;
  const unknown = Object.keys(item).filter((field) => !FIELDS.has(field));
  if (unknown.length > 0) {
    throw new RecordError(line, `unknown field ${unknown.map((field) => JSON.stringify(field)).join(", ")}; a record has key, value, metadata, time_to_live_sec (and background_fetch)`);
  }
  if (typeof item.key !== "string") throw new RecordError(line, `"key" is required and must be a string`);
  const problem = keyError(item.key);
  if (problem) throw new RecordError(line, `invalid key ${JSON.stringify(item.key)}: ${problem}`);
  const value = typeof item.value === "string" ? base64ToBytes(item.value) : null;
  if (value === null) throw new RecordError(line, `"value" of key ${JSON.stringify(item.key)} is required and must be base64 text`);
  const record: TransferRecord = { key: item.key, value };
  if (item.metadata !== undefined && item.metadata !== null) {
    if (typeof item.metadata !== "string") throw new RecordError(line, `"metadata" of key ${JSON.stringify(item.key)} must be a string`);
    record.metadata = item.metadata;
  }
  if (item.time_to_live_sec !== undefined && item.time_to_live_sec !== null) {
    const ttl = item.time_to_live_sec;
    if (typeof ttl !== "number" || !Number.isSafeInteger(ttl) || ttl < 0 || ttl >= KVLimits.MAX_TTL_SECONDS) {
      throw new RecordError(line, `"time_to_live_sec" of key ${JSON.stringify(item.key)} must be a whole number of seconds from 0 to ${KVLimits.MAX_TTL_SECONDS - 1}`);
    }
    record.ttl = ttl;
  }
  if (item.background_fetch !== undefined && typeof item.background_fetch !== "boolean") {
    throw new RecordError(line, `"background_fetch" of key ${JSON.stringify(item.key)} must be true or false`);
  }
  return record;
}

/** Whether a record fits a store's limits; the problem in words, or null. */
export function recordProblem(record: TransferRecord, settings: Pick<StoreSettings, "maxMetadataBytes" | "maxValueBytes">): string | null {
  if (record.value.byteLength > settings.maxValueBytes) {
    return `the value of key ${JSON.stringify(record.key)} is ${record.value.byteLength} bytes; the store takes at most ${settings.maxValueBytes}`;
  }
  const metadataBytes = record.metadata === undefined ? 0 : utf8ByteLength(record.metadata);
  if (metadataBytes > settings.maxMetadataBytes) {
    return `the metadata of key ${JSON.stringify(record.key)} is ${metadataBytes} bytes; the store takes at most ${settings.maxMetadataBytes}`;
  }
  return null;
}

/**
 * Parses a whole-store JSON file (the `{ file = "...", format = "json" }` stores of fastly.toml).
 * `readFile` returns the bytes of an entry's `file` (relative paths are the caller's business);
 * without it such entries are refused. Entries are numbered from 1 in messages.
 */
export async function parseJsonStore(text: string, readFile?: (path: string, key: string) => Promise<Uint8Array>): Promise<TransferRecord[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EdgeKvError(`the file is not valid JSON (${(error as Error).message}); a store file holds one JSON object { "<key>": "<data>" | { "data" | "file", "metadata"? } }`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new EdgeKvError(`a store file holds one JSON object { "<key>": "<data>" | { "data" | "file", "metadata"? } }, got ${Array.isArray(parsed) ? "an array" : typeof parsed}`);
  }
  const records: TransferRecord[] = [];
  let entry = 0;
  for (const [key, item] of Object.entries(parsed)) {
    entry++;
    const fail = (message: string) => new RecordError(entry, `key ${JSON.stringify(key)}: ${message}`, "entry");
    const problem = keyError(key);
    if (problem) throw fail(`invalid key: ${problem}`);
    if (typeof item === "string") {
      records.push({ key, value: encodeUtf8(item) });
      continue;
    }
    if (item === null || typeof item !== "object" || Array.isArray(item)) throw fail(`the value must be a string or an object { "data" | "file", "metadata"? }`);
    const fields = item as Record<string, unknown>;
    const extra = Object.keys(fields).filter((field) => field !== "data" && field !== "file" && field !== "metadata");
    if (extra.length > 0) throw fail(`unknown field ${extra.map((field) => JSON.stringify(field)).join(", ")}; an entry has data or file, and metadata`);
    for (const field of ["data", "file", "metadata"]) {
      if (fields[field] !== undefined && typeof fields[field] !== "string") throw fail(`"${field}" must be a string`);
    }
    if ((fields.data === undefined) === (fields.file === undefined)) throw fail(`exactly one of "data" or "file" must be given`);
    let value: Uint8Array;
    if (typeof fields.data === "string") value = encodeUtf8(fields.data);
    else if (readFile === undefined) throw fail(`"file" entries cannot be read here; import the store file with the edge-kv CLI`);
    else {
      try {
        value = await readFile(fields.file as string, key);
      } catch (error) {
        throw fail(`cannot read its "file" ${JSON.stringify(fields.file)}: ${(error as Error).message}`);
      }
    }
    records.push({ key, value, ...(typeof fields.metadata === "string" && { metadata: fields.metadata }) });
  }
  return records;
}

/** Whether a file's text is a whole-store JSON object rather than NDJSON lines. */
export function looksLikeJsonStore(text: string): boolean {
  const trimmed = text.trimStart();
  if (!trimmed.startsWith("{")) return false;
  const firstLine = trimmed.split("\n", 1)[0]!.trim();
  try {
    const parsed = JSON.parse(firstLine) as unknown;
    return !(parsed !== null && typeof parsed === "object" && "key" in parsed && "value" in parsed);
  } catch {
    return true; // a multi-line object
  }
}

/**
 * The live entries of a store under `prefix`, in key order, as records: TTL as whole seconds left
 * (rounded up). Metadata that is not UTF-8 cannot travel in the format: an EdgeKvError names the key.
 */
export async function* exportRecords(admin: StoreAdmin, prefix?: string, options: { after?: string; pageSize?: number } = {}): AsyncGenerator<TransferRecord> {
  const pageSize = options.pageSize ?? 1000;
  let cursor = options.after === undefined ? undefined : encodeCursor(options.after);
  do {
    const page = await admin.keys({ ...(prefix ? { prefix } : {}), limit: pageSize, ...(cursor ? { cursor } : {}) });
    cursor = page.cursor;
    for (const item of page.items) {
      const record = await admin.core.get(item.key);
      if (record === null) continue; // deleted or expired since the listing
      const out: TransferRecord = { key: item.key, value: record.value };
      if (record.metadata !== null) {
        if (!isValidUtf8(record.metadata)) {
          throw new EdgeKvError(`store '${admin.name}', key ${JSON.stringify(item.key)}: its metadata is not UTF-8 text, which the batch format cannot carry`);
        }
        out.metadata = decodeUtf8Strict(record.metadata);
      }
      if (record.expiresAt !== null) out.ttl = Math.max(1, Math.ceil((record.expiresAt - admin.core.settings.clock.now()) / 1000));
      yield out;
    }
  } while (cursor !== undefined);
}

/** Writes one record (overwrite, like the batch endpoint). */
export async function writeRecord(admin: StoreAdmin, record: TransferRecord): Promise<void> {
  await admin.put(record.key, record.value, {
    ...(record.metadata !== undefined && { metadata: record.metadata }),
    ...(record.ttl !== undefined && { ttl: record.ttl }),
  });
}

function preview(text: string): string {
  return text.length > 60 ? `${JSON.stringify(text.slice(0, 60))}...` : JSON.stringify(text);
}
