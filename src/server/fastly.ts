/**
 * The Fastly KV REST dialect (`/resources/stores/kv`): stores, items and batch, with the status codes,
 * headers and bodies recorded from api.fastly.com (../shared/reference/rest-apis.md §1). Validation
 * happens here; storage goes through the admin API and the core.
 */
import { tokenMatches } from "./auth.js";
import type { InsertMode } from "../core.js";
import { KVLimits } from "../limits.js";
import { storeNameError } from "../rules.js";
import { base64ToBytes, encodeUtf8, isValidUtf8, utf8ByteLength } from "../utf8.js";
import { encodeCursor, decodeCursor } from "../admin.js";
import type { StoreInfo } from "./catalog.js";
import { checkStoreKey, storeFailure, type DialectContext } from "./context.js";
import {
  RestError,
  bytesToHeader,
  checkQuery,
  decodeSegment,
  decodeText,
  header,
  headerBytes,
  httpDate,
  parseFlag,
  parseInteger,
  pathAfter,
  readBody,
  readJsonObject,
  sendBytes,
  sendEmpty,
  sendJson,
  type RestRequest,
} from "./http.js";

export const FASTLY_PREFIX = "/resources/stores/kv";
const LOCATIONS = ["US", "EU", "ASIA", "AUS"];
const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  404: "Record not found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  507: "Insufficient Storage",
};

/** Fastly's error body: legacy `{msg, detail}` (412 has an empty body, as recorded). */
export function renderFastlyError(request: RestRequest, error: RestError): void {
  if (error.emptyBody) return sendEmpty(request.res, error.status);
  sendJson(request.res, error.status, { msg: STATUS_TEXT[error.status] ?? "Error", detail: error.message });
}

export async function handleFastly(request: RestRequest, context: DialectContext): Promise<boolean> {
  const segments = pathAfter(request.rawPath, FASTLY_PREFIX);
  if (segments === null) return false;
  if (context.token !== undefined && !tokenMatches(header(request, "fastly-key"), context.token)) {
    throw new RestError(401, "Provided credentials are missing or invalid: send the server's token in the Fastly-Key header");
  }
  checkQuery(request);
  const { method } = request;
  if (segments.length === 0) {
    if (method === "GET") return listStores(request, context), true;
    if (method === "POST") return await createStore(request, context), true;
    throw notAllowed(method, "GET, POST");
  }
  const info = findStore(context, decodeSegment(segments[0]!, "store id"));
  if (segments.length === 1) {
    if (method === "GET") return sendJson(request.res, 200, storeJson(info)), true;
    if (method === "PUT") return await renameStore(request, context, info), true;
    if (method === "DELETE") return await deleteStore(request, context, info), true;
    throw notAllowed(method, "GET, PUT, DELETE");
  }
  if (segments[1] === "keys" && segments.length === 2) {
    if (method === "GET") return await listKeys(request, context, info), true;
    throw notAllowed(method, "GET");
  }
  if (segments[1] === "keys") {
    // The key is the rest of the path: clients send `/` as %2F, hand-written URLs may send it raw.
    const key = segments.slice(2).map((part) => decodeSegment(part, "key")).join("/");
    if (method === "GET" || method === "HEAD") return await getItem(request, context, info, key), true;
    if (method === "PUT") return await putItem(request, context, info, key), true;
    if (method === "DELETE") return await deleteItem(request, context, info, key), true;
    throw notAllowed(method, "GET, HEAD, PUT, DELETE");
  }
  if (segments[1] === "batch" && segments.length === 2) {
    if (method === "PUT") return await batch(request, context, info), true;
    throw notAllowed(method, "PUT");
  }
  throw new RestError(404, `no such endpoint: ${request.method} ${request.rawPath}`);
}

function notAllowed(method: string, allowed: string): RestError {
  return new RestError(405, `${method} is not supported here; use ${allowed}`);
}

function findStore(context: DialectContext, id: string): StoreInfo {
  const info = context.catalog.byId("fastlyId", id);
  if (!info) throw new RestError(404, `Couldn't find KV store '${id}'. List stores with GET ${FASTLY_PREFIX} to see their ids`);
  return info;
}

/** `2025-06-23 19:41:15`, the format api.fastly.com returned in 2025. */
function fastlyTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

function storeJson(info: StoreInfo) {
  return { id: info.fastlyId, name: info.name, created_at: fastlyTime(info.createdAt), updated_at: fastlyTime(info.updatedAt) };
}

function listStores(request: RestRequest, context: DialectContext): void {
  const limitText = request.query.get("limit");
  const limit = limitText === null ? 1000 : parseInteger(limitText, "query parameter 'limit'", 1, 1000);
  const name = request.query.get("name");
  const cursor = request.query.get("cursor");
  let stores = context.catalog.all().sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (name !== null) stores = stores.filter((info) => info.name === name);
  const total = stores.length;
  if (cursor !== null && cursor !== "") {
    const after = fastlyCursor(cursor);
    stores = stores.filter((info) => info.name > after);
  }
  const page = stores.slice(0, limit);
  const meta: Record<string, unknown> = { limit, total };
  if (stores.length > limit) meta.next_cursor = encodeCursor(page[page.length - 1]!.name);
  sendJson(request.res, 200, { data: page.map(storeJson), meta });
}

function fastlyCursor(cursor: string): string {
  try {
    return decodeCursor(cursor)!;
  } catch {
    throw new RestError(400, `cursor '${cursor}' is not one this server returned; pass meta.next_cursor from the previous page`);
  }
}

function checkStoreName(body: Record<string, unknown>): string {
  const name = body.name;
  if (typeof name !== "string") throw new RestError(400, `the body must have a string "name" (the store name), got ${JSON.stringify(name) ?? "nothing"}`);
  const problem = storeNameError(name);
  if (problem) throw new RestError(400, `invalid store name ${JSON.stringify(name)}: ${problem.replace("KVStore constructor: ", "")}`);
  return name;
}

async function createStore(request: RestRequest, context: DialectContext): Promise<void> {
  const location = request.query.get("location");
  if (location !== null && !LOCATIONS.includes(location)) {
    throw new RestError(400, `query parameter 'location' must be one of ${LOCATIONS.join(", ")}, got '${location}'`);
  }
  const name = checkStoreName(await readJsonObject(request, '{"name": "<store name>"}'));
  const info = context.catalog.create(name, { location });
  sendJson(request.res, 201, storeJson(info));
}

async function renameStore(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const name = checkStoreName(await readJsonObject(request, '{"name": "<new store name>"}'));
  context.catalog.rename(info, name);
  sendEmpty(request.res, 200);
}

async function deleteStore(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const page = await context.catalog.admin(info).keys({ limit: 1 });
  if (page.items.length > 0) {
    throw new RestError(409, `A KV store must be empty before it can be deleted: store '${info.name}' still holds items (delete them first)`);
  }
  await context.catalog.remove(info);
  sendEmpty(request.res, 204);
}

async function listKeys(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const { query } = request;
  const limitText = query.get("limit");
  const limit = limitText === null ? KVLimits.DEFAULT_LIST_LIMIT : parseInteger(limitText, "query parameter 'limit'", 1, Number.MAX_SAFE_INTEGER);
  const consistency = query.get("consistency");
  if (consistency !== null && consistency !== "strong" && consistency !== "eventual") {
    throw new RestError(400, `query parameter 'consistency' must be strong or eventual, got '${consistency}'`);
  }
  const prefix = query.get("prefix") ?? undefined;
  const cursor = query.get("cursor") ?? undefined;
  if (cursor) fastlyCursor(cursor);
  let page;
  try {
    page = await context.catalog.admin(info).keys({ prefix, limit, cursor });
  } catch (error) {
    throw storeFailure(error, context, info);
  }
  const meta: Record<string, unknown> = { limit };
  if (page.cursor !== undefined) meta.next_cursor = page.cursor;
  if (prefix) meta.prefix = prefix;
  if (consistency === "eventual") meta.consistency = consistency;
  sendJson(request.res, 200, { data: page.items.map((item) => item.key), meta });
}

/** Metadata bytes a header can carry verbatim: no control characters other than tab. */
/**
 * Whether metadata can travel verbatim in a header: no control characters, and no leading or trailing
 * space or tab, which HTTP strips from header values (such metadata is sent base64-encoded instead).
 */
function headerSafe(bytes: Uint8Array): boolean {
  if (bytes.byteLength > 0 && (isBlank(bytes[0]!) || isBlank(bytes[bytes.byteLength - 1]!))) return false;
  for (const byte of bytes) if ((byte < 0x20 && byte !== 0x09) || byte === 0x7f) return false;
  return true;
}

function isBlank(byte: number): boolean {
  return byte === 0x20 || byte === 0x09;
}

async function getItem(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkStoreKey(key);
  let record;
  try {
    record = await context.catalog.admin(info).core.get(key);
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  if (record === null) throw new RestError(404, `key ${JSON.stringify(key)} does not exist in store '${info.name}'`);
  const headers: Record<string, string> = {
    "content-type": "application/octet-stream",
    generation: String(record.generation),
    "last-modified": httpDate(record.lastModified),
    "stored-content-length": String(record.value.byteLength),
  };
  const metadata = record.metadata;
  if (metadata === null) headers.metadata = "";
  else if (headerSafe(metadata)) headers.metadata = bytesToHeader(metadata);
  else {
    // Metadata written through KVStore may hold bytes no header can carry: send it base64, and say so.
    headers.metadata = Buffer.from(metadata).toString("base64");
    headers["metadata-encoding"] = "base64";
  }
  sendBytes(request, 200, record.value, headers);
}

function parseGeneration(request: RestRequest): number | undefined {
  const text = header(request, "if-generation-match");
  if (text === undefined) return undefined;
  return parseInteger(text, "header 'if-generation-match'", 1, Number.MAX_SAFE_INTEGER);
}

function parseMetadata(bytes: Uint8Array, where: string): Uint8Array {
  if (bytes.byteLength > KVLimits.REST_METADATA_BYTES) {
    throw new RestError(400, `${where} is ${bytes.byteLength} bytes; the REST API allows at most ${KVLimits.REST_METADATA_BYTES} bytes`);
  }
  if (!isValidUtf8(bytes)) throw new RestError(400, `${where} must be UTF-8 text`);
  return bytes;
}

/**
 * The `metadata` header's bytes. HTTP strips blanks at either end of a header value and a header cannot
 * hold CR, LF or NUL, so such metadata is sent base64 with `metadata-encoding: base64`, as GET answers it.
 */
function metadataHeader(request: RestRequest): Uint8Array | undefined {
  const text = header(request, "metadata");
  const encoding = header(request, "metadata-encoding");
  if (encoding !== undefined && encoding.toLowerCase() !== "base64") {
    throw new RestError(400, `header 'metadata-encoding' must be base64 (the only encoding), got ${JSON.stringify(encoding)}`);
  }
  if (text === undefined) {
    if (encoding !== undefined) throw new RestError(400, "header 'metadata-encoding' was sent without a 'metadata' header");
    return undefined;
  }
  if (encoding === undefined) return parseMetadata(headerBytes(text), "header 'metadata'");
  const bytes = base64ToBytes(text);
  if (bytes === null) throw new RestError(400, "header 'metadata' must be base64 text, as header 'metadata-encoding: base64' says");
  return parseMetadata(bytes, "header 'metadata' (base64-decoded)");
}

async function putItem(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkStoreKey(key);
  const modes = (["add", "append", "prepend"] as const).filter((mode) => parseFlag(request, mode));
  if (modes.length > 1) throw new RestError(400, `query parameters ${modes.join(" and ")} cannot be combined: pick one insert mode`);
  parseFlag(request, "background_fetch"); // accepted (and validated); it changes nothing locally
  const mode: InsertMode = modes[0] ?? "overwrite";
  const ifGenerationMatch = parseGeneration(request);
  const ttlText = header(request, "time_to_live_sec");
  const ttl = ttlText === undefined ? undefined : parseInteger(ttlText, "header 'time_to_live_sec'", 0, KVLimits.MAX_TTL_SECONDS - 1);
  const metadata = metadataHeader(request);
  const value = await readBody(request, context.limits.maxValueBytes);
  try {
    await context.catalog.admin(info).write(key, value, {
      mode,
      ...(ifGenerationMatch !== undefined && { ifGenerationMatch }),
      ...(metadata !== undefined && { metadata }),
      ...(ttl !== undefined && { ttl }),
    });
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  sendEmpty(request.res, 200);
}

async function deleteItem(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkStoreKey(key);
  const force = parseFlag(request, "force");
  const ifGenerationMatch = parseGeneration(request);
  try {
    await context.catalog.admin(info).delete(key, { force, ...(ifGenerationMatch !== undefined && { ifGenerationMatch }) });
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  sendEmpty(request.res, 204);
}

interface BatchLine {
  key: string;
  value: Uint8Array;
  metadata: Uint8Array | undefined;
  ttl: number | undefined;
}

interface BatchProblem {
  key: string;
  index: number;
  code: string;
  reason: string;
}

const BATCH_FIELDS = new Set(["key", "value", "metadata", "time_to_live_sec", "background_fetch"]);

/** Validates every line first; writes only when all are good (nothing is written for a bad batch). */
async function batch(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const body = decodeText(await readBody(request, context.limits.maxBatchBytes, { what: "the batch body" }), "the batch body");
  const admin = context.catalog.admin(info);
  const storeMetadataLimit = admin.core.settings.maxMetadataBytes;
  const lines: BatchLine[] = [];
  const problems: BatchProblem[] = [];
  let index = -1;
  for (const rawLine of body.split("\n")) {
    const text = rawLine.trim();
    if (text === "") continue;
    index++;
    const problem = (code: string, reason: string, key = "") => problems.push({ key, index, code, reason });
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      problem("invalid_json", `line ${index} is not valid JSON`);
      continue;
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      problem("invalid_json", `line ${index} must be a JSON object {"key", "value" (base64), "metadata"?, "time_to_live_sec"?, "background_fetch"?}`);
      continue;
    }
    const item = parsed as Record<string, unknown>;
    const key = typeof item.key === "string" ? item.key : "";
    const unknown = Object.keys(item).filter((field) => !BATCH_FIELDS.has(field));
    if (unknown.length > 0) {
      problem("unknown_field", `unknown field ${unknown.map((f) => JSON.stringify(f)).join(", ")}: a batch line takes key, value, metadata, time_to_live_sec and background_fetch`, key);
      continue;
    }
    if (typeof item.key !== "string") {
      problem("invalid_key", `"key" is required and must be a string`);
      continue;
    }
    try {
      checkStoreKey(key);
    } catch (error) {
      problem("invalid_key", (error as Error).message, key);
      continue;
    }
    const value = typeof item.value === "string" ? base64ToBytes(item.value) : null;
    if (value === null) {
      problem("invalid_value", `"value" is required and must be a base64 string`, key);
      continue;
    }
    if (value.byteLength > context.limits.maxValueBytes) {
      problem("value_too_large", `the value is ${value.byteLength} bytes; the limit is ${context.limits.maxValueBytes} bytes`, key);
      continue;
    }
    let metadata: Uint8Array | undefined;
    if (item.metadata !== undefined && item.metadata !== null) {
      if (typeof item.metadata !== "string") {
        problem("invalid_metadata", `"metadata" must be a string`, key);
        continue;
      }
      metadata = encodeUtf8(item.metadata);
      const limit = Math.min(KVLimits.REST_METADATA_BYTES, storeMetadataLimit);
      if (metadata.byteLength > limit) {
        problem("metadata_too_large", `"metadata" is ${utf8ByteLength(item.metadata)} bytes; store '${info.name}' allows at most ${limit} bytes`, key);
        continue;
      }
    }
    let ttl: number | undefined;
    if (item.time_to_live_sec !== undefined && item.time_to_live_sec !== null) {
      const seconds = item.time_to_live_sec;
      if (typeof seconds !== "number" || !Number.isSafeInteger(seconds) || seconds < 0 || seconds >= KVLimits.MAX_TTL_SECONDS) {
        problem("invalid_ttl", `"time_to_live_sec" must be a whole number of seconds from 0 to ${KVLimits.MAX_TTL_SECONDS - 1}`, key);
        continue;
      }
      ttl = seconds;
    }
    if (item.background_fetch !== undefined && typeof item.background_fetch !== "boolean") {
      problem("invalid_background_fetch", `"background_fetch" must be true or false`, key);
      continue;
    }
    lines.push({ key, value, metadata, ttl });
  }
  if (problems.length > 0) {
    sendJson(request.res, 400, { type: "", title: `error at index: ${problems[0]!.index}`, errors: problems });
    return;
  }
  for (const line of lines) {
    try {
      await admin.put(line.key, line.value, { ...(line.metadata && { metadata: line.metadata }), ...(line.ttl !== undefined && { ttl: line.ttl }) });
    } catch (error) {
      throw storeFailure(error, context, info, line.key);
    }
  }
  sendJson(request.res, 200, { type: "", title: "success", errors: [] });
}
