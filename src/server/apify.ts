/**
 * The Apify-style dialect (`/v2/key-value-stores`): stores with get-or-create by name, records with
 * their stored Content-Type, and `exclusiveStartKey` key listing, as `apify-client` 2.25 speaks it
 * (../shared/reference/rest-apis.md §3). Same stores as the other dialects; Bearer auth.
 */
import { tokenMatches } from "./auth.js";
import { encodeCursor } from "../admin.js";
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
  httpDate,
  parseInteger,
  pathAfter,
  readBody,
  readJsonObject,
  sendBytes,
  sendEmpty,
  sendJson,
  type RestRequest,
} from "./http.js";

export const APIFY_PREFIX = "/v2/key-value-stores";
const LOCAL_USER = { userId: "edgeKvLocalUser", username: "local" };
const KEY_PATTERN = /^[a-zA-Z0-9!\-_.'()]{1,256}$/;
const GENERAL_ACCESS = ["ANYONE_WITH_ID_CAN_READ", "ANYONE_WITH_NAME_CAN_READ", "FOLLOW_USER_SETTING", "RESTRICTED"];

const ERROR_TYPES: Record<number, string> = {
  400: "invalid-parameter",
  401: "invalid-token",
  404: "record-not-found",
  405: "method-not-allowed",
  409: "record-duplicate",
  412: "precondition-failed",
  413: "request-too-large",
  415: "unsupported-content-encoding",
  429: "rate-limit-exceeded",
  500: "internal-server-error",
};

/** Apify's error body: `{"error": {"type", "message"}}`. */
export function renderApifyError(request: RestRequest, error: RestError): void {
  sendJson(request.res, error.status, { error: { type: ERROR_TYPES[error.status] ?? "error", message: error.message } });
}

export async function handleApify(request: RestRequest, context: DialectContext): Promise<boolean> {
  const segments = pathAfter(request.rawPath, APIFY_PREFIX);
  if (segments === null) return false;
  if (context.token !== undefined && !tokenMatches(bearerToken(request, true), context.token)) {
    throw new RestError(401, "Authentication token is missing or invalid: send 'Authorization: Bearer <token>' with the server's token");
  }
  checkQuery(request);
  const { method } = request;
  if (segments.length === 0) {
    if (method === "GET") return await listStores(request, context), true;
    if (method === "POST") return await getOrCreate(request, context), true;
    throw notAllowed(method);
  }
  const info = findStore(context, decodeSegment(segments[0]!, "store id"));
  if (segments.length === 1) {
    if (method === "GET") return await sendStore(request, context, info, 200), true;
    if (method === "PUT") return await updateStore(request, context, info), true;
    if (method === "DELETE") return await context.catalog.remove(info), sendEmpty(request.res, 204), true;
    throw notAllowed(method);
  }
  if (segments[1] === "keys" && segments.length === 2) {
    if (method === "GET") return await listKeys(request, context, info), true;
    throw notAllowed(method);
  }
  if (segments[1] === "records" && segments.length > 2) {
    const key = segments.slice(2).map((part) => decodeSegment(part, "record key")).join("/");
    if (method === "GET" || method === "HEAD") return await getRecord(request, context, info, key), true;
    if (method === "PUT" || method === "POST") return await putRecord(request, context, info, key), true;
    if (method === "DELETE") return await deleteRecord(request, context, info, key), true;
    throw notAllowed(method);
  }
  throw new RestError(404, `no such endpoint: ${method} ${request.rawPath}`);
}

/** A store by id, by `username~name`, or (for convenience) by plain name. */
function findStore(context: DialectContext, storeId: string): StoreInfo {
  const tilde = storeId.indexOf("~");
  const name = tilde === -1 ? null : storeId.slice(tilde + 1);
  const info =
    name !== null
      ? context.catalog.find((candidate) => candidate.apify.name === name)
      : (context.catalog.byId("apifyId", storeId) ??
        context.catalog.find((candidate) => candidate.apify.name === storeId));
  if (!info) throw new RestError(404, `Key-value store '${storeId}' was not found: use its id, or username~name`);
  return info;
}

async function storeJson(request: RestRequest, context: DialectContext, info: StoreInfo) {
  const stats = await context.catalog.admin(info).stats();
  const base = `http://${header(request, "host") ?? "127.0.0.1"}${APIFY_PREFIX}/${info.apifyId}`;
  return {
    id: info.apifyId,
    name: info.apify.name,
    title: info.apify.title,
    ...LOCAL_USER,
    createdAt: new Date(info.createdAt).toISOString(),
    modifiedAt: new Date(info.apify.modifiedAt).toISOString(),
    accessedAt: new Date(info.apify.accessedAt).toISOString(),
    actId: null,
    actRunId: null,
    generalAccess: info.apify.generalAccess,
    keysPublicUrl: `${base}/keys`,
    recordsPublicUrl: `${base}/records`,
    stats: { ...info.apify.stats, s3StorageBytes: 0, storageBytes: stats.valueBytes },
  };
}

async function sendStore(request: RestRequest, context: DialectContext, info: StoreInfo, status: number, headers: Record<string, string> = {}): Promise<void> {
  info.apify.accessedAt = context.catalog.now();
  sendJson(request.res, status, { data: await storeJson(request, context, info) }, headers);
}

function flag(request: RestRequest, name: string): boolean {
  const value = request.query.get(name);
  if (value === null || value === "0" || value === "false") return false;
  if (value === "1" || value === "true" || value === "") return true;
  throw new RestError(400, `query parameter '${name}' must be true/false or 1/0, got '${value}'`);
}

async function listStores(request: RestRequest, context: DialectContext): Promise<void> {
  const { query } = request;
  const offset = query.has("offset") ? parseInteger(query.get("offset")!, "query parameter 'offset'", 0, Number.MAX_SAFE_INTEGER) : 0;
  const limit = query.has("limit") ? parseInteger(query.get("limit")!, "query parameter 'limit'", 1, 1000) : 1000;
  const desc = flag(request, "desc");
  const unnamed = flag(request, "unnamed");
  let stores = context.catalog.all().filter((info) => unnamed || info.apify.name !== null);
  stores.sort((a, b) => a.createdAt - b.createdAt);
  if (desc) stores.reverse();
  const total = stores.length;
  stores = stores.slice(offset, offset + limit);
  const items = [];
  for (const info of stores) items.push(await storeJson(request, context, info));
  sendJson(request.res, 200, { data: { total, offset, limit, desc, count: items.length, items } });
}

function checkApifyName(name: string): void {
  const problem = storeNameError(name);
  if (problem) throw new RestError(400, `invalid store name ${JSON.stringify(name)}: ${problem.replace("KVStore constructor: ", "")}`);
}

async function getOrCreate(request: RestRequest, context: DialectContext): Promise<void> {
  await readBody(request, 1024 * 1024); // the optional body (a schema) is not used locally
  const name = request.query.get("name");
  if (name !== null && name !== "") {
    checkApifyName(name);
    const existing = context.catalog.find((info) => info.apify.name === name);
    if (existing) return sendStore(request, context, existing, 200);
    if (context.catalog.registry.hasStore(name)) {
      // A store of that name exists in the registry under another Apify name (it was renamed here).
      throw new RestError(409, `a store named '${name}' already exists under the Apify name ${JSON.stringify(context.catalog.byName(name)?.apify.name)}`);
    }
    const info = context.catalog.create(name);
    return sendStore(request, context, info, 201, { location: `${APIFY_PREFIX}/${info.apifyId}` });
  }
  // Unnamed store: the registry name is its id.
  let id: string;
  do id = `unnamed-${Math.random().toString(36).slice(2, 12)}`;
  while (context.catalog.registry.hasStore(id));
  const info = context.catalog.create(id, { apifyName: null });
  return sendStore(request, context, info, 201, { location: `${APIFY_PREFIX}/${info.apifyId}` });
}

async function updateStore(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const body = await readJsonObject(request, '{"name"?, "title"?, "generalAccess"?}');
  if (body.name !== undefined && body.name !== null) {
    if (typeof body.name !== "string") throw new RestError(400, `"name" must be a string, got ${JSON.stringify(body.name)}`);
    checkApifyName(body.name);
    context.catalog.rename(info, body.name);
    info.apify.name = body.name;
  }
  if (body.title !== undefined) {
    if (body.title !== null && typeof body.title !== "string") throw new RestError(400, `"title" must be a string or null`);
    info.apify.title = body.title as string | null;
  }
  if (body.generalAccess !== undefined) {
    if (typeof body.generalAccess !== "string" || !GENERAL_ACCESS.includes(body.generalAccess)) {
      throw new RestError(400, `"generalAccess" must be one of ${GENERAL_ACCESS.join(", ")}`);
    }
    info.apify.generalAccess = body.generalAccess;
  }
  info.apify.modifiedAt = context.catalog.now();
  context.catalog.touch(info);
  await sendStore(request, context, info, 200);
}

async function listKeys(request: RestRequest, context: DialectContext, info: StoreInfo): Promise<void> {
  const { query } = request;
  const limit = query.has("limit") ? parseInteger(query.get("limit")!, "query parameter 'limit'", 1, 1000) : 1000;
  const exclusiveStartKey = query.get("exclusiveStartKey") || null;
  const prefix = query.get("prefix") || undefined;
  let page;
  try {
    page = await context.catalog.admin(info).keys({ limit, ...(prefix && { prefix }), ...(exclusiveStartKey !== null && { cursor: encodeCursor(exclusiveStartKey) }) });
  } catch (error) {
    throw storeFailure(error, context, info);
  }
  info.apify.stats.listCount++;
  const base = `http://${header(request, "host") ?? "127.0.0.1"}${APIFY_PREFIX}/${info.apifyId}/records/`;
  const items = page.items.map((item) => ({ key: item.key, size: item.size, recordPublicUrl: base + encodeURIComponent(item.key) }));
  const isTruncated = page.cursor !== undefined;
  sendJson(request.res, 200, {
    data: {
      items,
      count: items.length,
      limit,
      exclusiveStartKey,
      isTruncated,
      nextExclusiveStartKey: isTruncated ? items[items.length - 1]!.key : null,
    },
  });
}

async function getRecord(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkStoreKey(key);
  let record;
  try {
    record = await context.catalog.admin(info).core.get(key);
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  if (record === null) throw new RestError(404, `Record '${key}' was not found in key-value store '${info.apifyId}'`);
  info.apify.stats.readCount++;
  info.apify.accessedAt = context.catalog.now();
  sendBytes(request, 200, record.value, {
    "content-type": record.contentType ?? "application/octet-stream",
    "last-modified": httpDate(record.lastModified),
  });
}

function checkApifyKey(key: string): void {
  if (!KEY_PATTERN.test(key)) {
    throw new RestError(400, `invalid record key ${JSON.stringify(key)}: a key is 1 to 256 characters from a-z A-Z 0-9 ! - _ . ' ( )`);
  }
  checkStoreKey(key);
}

async function putRecord(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkApifyKey(key);
  const value = await readBody(request, context.limits.maxApifyRecordBytes, { decode: true });
  const contentType = header(request, "content-type") || "application/octet-stream";
  try {
    await context.catalog.admin(info).write(key, value, { contentType });
  } catch (error) {
    throw storeFailure(error, context, info, key);
  }
  info.apify.stats.writeCount++;
  info.apify.modifiedAt = context.catalog.now();
  sendJson(request.res, 201, {}, { location: `${APIFY_PREFIX}/${info.apifyId}/records/${encodeURIComponent(key)}` });
}

async function deleteRecord(request: RestRequest, context: DialectContext, info: StoreInfo, key: string): Promise<void> {
  checkStoreKey(key);
  try {
    await context.catalog.admin(info).delete(key);
  } catch (error) {
    const failure = storeFailure(error, context, info, key);
    if (failure instanceof RestError && failure.status === 404) throw new RestError(404, `Record '${key}' was not found in key-value store '${info.apifyId}'`);
    throw failure;
  }
  info.apify.stats.deleteCount++;
  info.apify.modifiedAt = context.catalog.now();
  sendEmpty(request.res, 204);
}
