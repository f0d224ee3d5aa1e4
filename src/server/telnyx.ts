/**
 * The Telnyx-style dialect (`/v2/storage/kvs`): namespaces with page-number listing, keys stored as
 * raw bytes with their Content-Type, cursor key listing, Telnyx's key rules and error envelope, as
 * the `telnyx` 7.24 client speaks it (../shared/reference/rest-apis.md §4). Same stores; Bearer auth.
 */
import { tokenMatches } from "./auth.js";
import { KVError } from "../errors.js";
import { KVLimits } from "../limits.js";
import { storeNameError } from "../rules.js";
import type { StoreInfo } from "./catalog.js";
import { checkStoreKey, storeFailure, type DialectContext } from "./context.js";
import {
  RestError,
  methodNotAllowed as notAllowed,
  bearerToken,
  checkQuery,
  decodeSegment,
  header,
  parseInteger,
  pathAfter,
  readBody,
  readJsonObject,
  sendBytes,
  sendEmpty,
  sendJson,
  type RestRequest,
} from "./http.js";

export const TELNYX_PREFIX = "/v2/storage/kvs";
const KEY_PATTERN = /^[-/_=.a-zA-Z0-9]+$/;
const MAX_KEY_LENGTH = 256;
const NAME_PATTERN = /^[a-z0-9-]+$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Telnyx accepts TTLs up to this; edge-kv stores keep TTLs below 2^32 seconds. */
const TELNYX_MAX_TTL = 9223372036;

/** Telnyx error codes by status: 10015 bad request, 10005 not found, 10009 authentication, 10007 unexpected. */
const ERRORS: Record<number, [code: string, title: string]> = {
  400: ["10015", "Bad Request"],
  401: ["10009", "Authentication failed"],
  404: ["10005", "Resource not found"],
  405: ["10015", "Method not allowed"],
  409: ["10015", "Conflict"],
  412: ["10015", "Precondition failed"],
  413: ["10015", "Payload too large"],
  429: ["10011", "Too many requests"],
  500: ["10007", "Unexpected error"],
};

/** `{"errors": [{"code", "title", "detail", "source"?, "meta": {"url"}}]}` */
export function renderTelnyxError(request: RestRequest, error: RestError): void {
  const [code, title] = ERRORS[error.status] ?? ["10007", "Unexpected error"];
  const source = error.code?.startsWith("/") ? { pointer: error.code } : error.code?.startsWith("param:") ? { parameter: error.code.slice(6) } : undefined;
  sendJson(request.res, error.status, {
    errors: [{ code, title, detail: error.message, ...(source && { source }), meta: { url: `https://developers.telnyx.com/api/errors/${code}` } }],
  });
}

export async function handleTelnyx(request: RestRequest, context: DialectContext): Promise<boolean> {
  const segments = pathAfter(request.rawPath, TELNYX_PREFIX);
  if (segments === null) return false;
  if (context.token !== undefined && !tokenMatches(bearerToken(request), context.token)) {
    throw new RestError(401, "The API key is missing or invalid: send 'Authorization: Bearer <token>' with the server's token");
  }
  checkQuery(request);
  const { method } = request;
  if (segments.length === 0) {
    if (method === "GET") return listNamespaces(request, context), true;
    if (method === "POST") return await createNamespace(request, context), true;
    throw notAllowed(method);
  }
  const info = findNamespace(context, decodeSegment(segments[0]!, "namespace id"));
  if (segments.length === 1) {
    if (method === "GET") return sendJson(request.res, 200, { data: namespaceJson(info) }), true;
    if (method === "DELETE") return await deleteNamespace(request, context, info), true;
    throw notAllowed(method);
  }
  if (segments[1] === "keys" && segments.length === 2) {
    if (method === "GET") return await listKeys(request, context, info), true;
    throw notAllowed(method);
  }
  if (segments[1] === "keys") {
    const key = segments.slice(2).map((part) => decodeSegment(part, "key")).join("/");
    if (method === "GET" || method === "HEAD") return await getKey(request, context, info, key), true;
    if (method === "PUT") return await putKey(request, context, info, key), true;
    if (method === "DELETE") return await deleteKey(request, context, info, key), true;
    throw notAllowed(method);
  }
  throw new RestError(404, `no such endpoint: ${method} ${request.rawPath}`);
}

function findNamespace(context: DialectContext, id: string): StoreInfo {
  if (!UUID_PATTERN.test(id)) throw new RestError(400, `namespace id '${id}' is not a UUID`, { code: "param:id" });
  const info = context.catalog.byId("telnyxId", id);
  if (!info) throw new RestError(404, `KV namespace '${id}' was not found: list namespaces with GET ${TELNYX_PREFIX}`, { code: "param:id" });
  return info;
}

/** Provisioning is instant locally: the create response says `pending`, every later read `provision_ok`. */
function namespaceJson(info: StoreInfo, status = "provision_ok") {
  return {
    record_type: "storage_kv",
    id: info.telnyxId,
    name: info.name,
    status,
    created_at: new Date(info.createdAt).toISOString(),
    updated_at: new Date(info.updatedAt).toISOString(),
  };
}

function listNamespaces(request: RestRequest, context: DialectContext): void {
  const { query } = request;
  const number = query.has("page[number]") ? parseInteger(query.get("page[number]")!, "page[number]", 1, Number.MAX_SAFE_INTEGER) : 1;
  const size = query.has("page[size]") ? Math.min(250, parseInteger(query.get("page[size]")!, "page[size]", 1, Number.MAX_SAFE_INTEGER)) : 20;
  const all = context.catalog.all().sort((a, b) => a.createdAt - b.createdAt);
  const page = all.slice((number - 1) * size, number * size);
  sendJson(request.res, 200, {
    data: page.map((info) => namespaceJson(info)),
    meta: { page_number: number, page_size: size, total_pages: Math.ceil(all.length / size), total_results: all.length },
  });
}

async function createNamespace(request: RestRequest, context: DialectContext): Promise<void> {
  const body = await readJsonObject(request, '{"name": "<namespace name>"}');
  const name = body.name;
  if (typeof name !== "string" || !NAME_PATTERN.test(name) || storeNameError(name)) {
    throw new RestError(400, `invalid namespace name ${JSON.stringify(name) ?? "(missing)"}: use lowercase letters, digits and hyphens (at most 255)`, {
      code: "/name",
    });
  }
  const info = context.catalog.create(name);
  sendJson(request.res, 201, { data: namespaceJson(info, "pending") });
}

async function deleteNamespace(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const data = namespaceJson(info, "deleting");
  await context.catalog.remove(info);
  sendJson(request.res, 200, { data });
}

function checkTelnyxKey(key: string): void {
  const problem =
    key.length > MAX_KEY_LENGTH
      ? `is ${key.length} characters; the limit is ${MAX_KEY_LENGTH}`
      : !KEY_PATTERN.test(key)
        ? "may only contain letters, digits and - / _ = ."
        : key.startsWith("_")
          ? "starts with '_', which is reserved"
          : null;
  if (problem) throw new RestError(400, `invalid key ${JSON.stringify(key)}: the key ${problem}`, { code: "param:key" });
  try {
    checkStoreKey(key);
  } catch (error) {
    throw new RestError(400, (error as Error).message, { code: "param:key" });
  }
}

async function putKey(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkTelnyxKey(key);
  const ttlText = request.query.get("ttl_secs");
  let ttl: number | undefined;
  if (ttlText !== null) {
    ttl = parseInteger(ttlText, "ttl_secs", 1, TELNYX_MAX_TTL);
    if (ttl >= KVLimits.MAX_TTL_SECONDS) {
      throw new RestError(400, `ttl_secs ${ttl} is above edge-kv's TTL limit of ${KVLimits.MAX_TTL_SECONDS - 1} seconds`, { code: "param:ttl_secs" });
    }
  }
  const value = await readBody(request, context.limits.maxTelnyxValueBytes);
  const contentType = header(request, "content-type") || "application/octet-stream";
  const admin = context.catalog.admin(info);
  const options = { contentType, ...(ttl !== undefined && { ttl }) };
  let created = true;
  try {
    // An add that fails means the key existed: 200 updated instead of 201 created, decided atomically.
    await admin.write(key, value, { ...options, mode: "add" }).catch(async (error: unknown) => {
      if (!(error instanceof KVError && error.code === "precondition-failed")) throw error;
      created = false;
      await admin.write(key, value, options);
    });
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  sendEmpty(request.res, created ? 201 : 200);
}

async function getKey(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkTelnyxKey(key);
  let record;
  try {
    record = await context.catalog.admin(info).core.get(key);
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  if (record === null) throw new RestError(404, `key ${JSON.stringify(key)} was not found in namespace '${info.telnyxId}'`, { code: "param:key" });
  sendBytes(request, 200, record.value, { "content-type": record.contentType ?? "application/octet-stream" });
}

async function deleteKey(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkTelnyxKey(key);
  try {
    await context.catalog.admin(info).delete(key, { force: true });
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  sendEmpty(request.res, 204);
}

async function listKeys(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const { query } = request;
  const limit = query.has("limit") ? Math.min(1000, parseInteger(query.get("limit")!, "limit", 1, Number.MAX_SAFE_INTEGER)) : 1000;
  const prefix = query.get("prefix") || undefined;
  const cursor = query.get("cursor") || undefined;
  let page;
  try {
    page = await context.catalog.admin(info).keys({ limit, ...(prefix && { prefix }), ...(cursor && { cursor }) });
  } catch (error) {
    if (error instanceof KVError && error.code === "bad-request") {
      throw new RestError(400, `cursor '${cursor}' is not one this server returned; pass meta.cursor from the previous page`, { code: "param:cursor" });
    }
    throw storeFailure(error, context, info);
  }
  sendJson(request.res, 200, {
    record_type: "storage_kv_key",
    data: page.items.map((item) => ({ key: item.key, size_bytes: item.size, updated_at: item.lastModified.toISOString() })),
    meta: { has_more: page.cursor !== undefined, cursor: page.cursor ?? null },
  });
}
