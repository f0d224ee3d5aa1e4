/**
 * edge-kv's own endpoints under `/_edge-kv/api/` — what the explorer page needs and Fastly's KV API
 * has no equivalent for (docs/explorer.md lists them). Everything else the page does goes through the
 * Fastly dialect, mounted at `/_edge-kv/api/resources/stores/kv` by the server.
 *
 *   GET    stores                          stores with key counts and Fastly ids
 *   GET    stores/{name}/keys              one page of keys with size, expiry, last modified (?prefix&cursor&limit)
 *   GET    stores/{name}/count             live keys under ?prefix
 *   DELETE stores/{name}/keys?prefix=P     delete every key under P (P may be empty: all keys)
 *   GET    stores/{name}/export            NDJSON in Fastly's batch format (?prefix)
 *   GET    stores/{name}/entries/{key}     value (base64), metadata, generation, last modified, expiry
 *   PUT    stores/{name}/entries/{key}     write with mode, metadata, TTL and if-generation-match (JSON body)
 *   DELETE stores/{name}/entries/{key}     delete, with ?generation=G as a guard
 *   GET    operations                      server-sent events: every store operation (?store)
 *
 * Every JSON answer carries `now`, the stores' clock (a fake clock in tests), for TTL countdowns.
 */
import type { AdminPutOptions, StoreAdmin } from "../admin.js";
import { INSERT_MODES, type InsertMode } from "../core.js";
import type { StoredRecord } from "../drivers/driver.js";
import { KVError } from "../errors.js";
import { KVLimits } from "../limits.js";
import { base64ToBytes, bytesToBase64, decodeUtf8Strict, isValidUtf8 } from "../utf8.js";
import { exportRecords, recordToLine } from "../cli/records.js";
import { checkStoreKey, storeFailure, type DialectContext } from "../server/context.js";
import type { StoreInfo } from "../server/catalog.js";
import { RestError, bearerToken, checkQuery, decodeSegment, header, parseInteger, pathAfter, readJsonObject, sendEmpty, sendJson, type RestRequest } from "../server/http.js";
import { streamOperations } from "./operations.js";

const MAX_PAGE = 1000;

/** Handles `request` (path relative to `/_edge-kv/api`) when it is one of edge-kv's endpoints. */
export async function handleExplorerApi(request: RestRequest, context: DialectContext): Promise<boolean> {
  const segments = pathAfter(request.rawPath, "");
  if (segments === null || (segments[0] !== "stores" && segments[0] !== "operations")) return false;
  if (context.token !== undefined && header(request, "fastly-key") !== context.token && bearerToken(request) !== context.token) {
    throw new RestError(401, "this server requires its token: send it as Fastly-Key or Authorization: Bearer (open the explorer with the URL the server printed, which carries it)");
  }
  checkQuery(request); // a prefix of U+FFFD read from bytes that are not UTF-8 would list, or delete, the wrong keys
  const { method } = request;
  if (segments[0] === "operations" && segments.length === 1) {
    if (method !== "GET") throw notAllowed(method, "GET");
    streamOperations(request, context.catalog.registry);
    return true;
  }
  if (segments.length === 1) {
    if (method !== "GET") throw notAllowed(method, "GET");
    await listStores(request, context);
    return true;
  }
  const info = findStore(context, decodeSegment(segments[1]!, "store name"));
  const admin = context.catalog.admin(info);
  const what = segments[2];
  try {
    if (what === "keys" && segments.length === 3) {
      if (method === "GET") return await listKeys(request, admin), true;
      if (method === "DELETE") return await deletePrefix(request, admin), true;
      throw notAllowed(method, "GET, DELETE");
    }
    if (what === "count" && segments.length === 3) {
      if (method !== "GET") throw notAllowed(method, "GET");
      return sendJson(request.res, 200, { count: await countKeys(admin, request.query.get("prefix") ?? ""), now: now(admin) }), true;
    }
    if (what === "export" && segments.length === 3) {
      if (method !== "GET") throw notAllowed(method, "GET");
      return await exportStore(request, admin), true;
    }
    if (what === "entries" && segments.length > 3) {
      const key = segments.slice(3).map((part) => decodeSegment(part, "key")).join("/");
      checkStoreKey(key);
      if (method === "GET") return await getEntry(request, admin, key), true;
      if (method === "PUT") return await putEntry(request, admin, key), true;
      if (method === "DELETE") return await deleteEntry(request, admin, key), true;
      throw notAllowed(method, "GET, PUT, DELETE");
    }
  } catch (error) {
    throw error instanceof RestError ? error : storeFailure(error, context, info);
  }
  throw new RestError(404, `no such endpoint: ${method} /_edge-kv/api${request.rawPath}`);
}

function notAllowed(method: string, allowed: string): RestError {
  return new RestError(405, `${method} is not supported here; use ${allowed}`);
}

function findStore(context: DialectContext, name: string): StoreInfo {
  const info = context.catalog.byName(name);
  if (!info) {
    const names = context.catalog.all().map((store) => store.name);
    throw new RestError(404, `store '${name}' is not defined on this server${names.length ? ` (stores: ${names.join(", ")})` : " (it has no stores)"}`);
  }
  return info;
}

function now(admin: StoreAdmin): number {
  return admin.core.settings.clock.now();
}

async function countKeys(admin: StoreAdmin, prefix: string): Promise<number> {
  let count = 0;
  await admin.core.scanAll(() => void count++, prefix === "" ? undefined : prefix);
  return count;
}

async function listStores(request: RestRequest, context: DialectContext): Promise<void> {
  const stores = [];
  for (const info of context.catalog.all()) {
    const admin = context.catalog.admin(info);
    stores.push({ name: info.name, id: info.fastlyId, keys: await countKeys(admin, "") });
  }
  stores.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  sendJson(request.res, 200, { stores, now: context.catalog.now() });
}

async function listKeys(request: RestRequest, admin: StoreAdmin): Promise<void> {
  const { query } = request;
  const limitText = query.get("limit");
  const limit = limitText === null ? 100 : parseInteger(limitText, "query parameter 'limit'", 1, MAX_PAGE);
  const prefix = query.get("prefix") ?? "";
  const cursor = query.get("cursor") ?? "";
  const page = await admin.keys({ ...(prefix !== "" && { prefix }), limit, ...(cursor !== "" && { cursor }) });
  sendJson(request.res, 200, {
    items: page.items.map((item) => ({ key: item.key, size: item.size, expiresAt: item.expiresAt?.getTime() ?? null, lastModified: item.lastModified.getTime() })),
    cursor: page.cursor ?? null,
    now: now(admin),
  });
}

async function deletePrefix(request: RestRequest, admin: StoreAdmin): Promise<void> {
  const prefix = request.query.get("prefix");
  if (prefix === null) throw new RestError(400, "say which keys to delete: ?prefix=P (an empty prefix deletes every key of the store)");
  const keys: string[] = [];
  await admin.core.scanAll((item) => void keys.push(item.key), prefix === "" ? undefined : prefix);
  let deleted = 0;
  for (const key of keys) if (await admin.delete(key, { force: true })) deleted++;
  sendJson(request.res, 200, { deleted, now: now(admin) });
}

async function exportStore(request: RestRequest, admin: StoreAdmin): Promise<void> {
  const prefix = request.query.get("prefix") ?? "";
  const { res } = request;
  const lines: string[] = [];
  // Collected first, so a store that cannot be exported answers an error instead of half a file.
  for await (const record of exportRecords(admin, prefix)) lines.push(recordToLine(record));
  const body = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  const file = `${admin.name.replace(/[^A-Za-z0-9._-]+/g, "_")}${prefix ? `-${prefix.replace(/[^A-Za-z0-9._-]+/g, "_")}` : ""}.ndjson`;
  res.writeHead(200, {
    "content-type": "application/x-ndjson",
    "content-length": Buffer.byteLength(body),
    "content-disposition": `attachment; filename="${file}"`,
    "edge-kv-records": String(lines.length),
  });
  res.end(body);
}

function entryJson(admin: StoreAdmin, key: string, record: StoredRecord) {
  const metadata = record.metadata;
  const text = metadata !== null && isValidUtf8(metadata) ? decodeUtf8Strict(metadata) : null;
  return {
    store: admin.name,
    key,
    size: record.value.byteLength,
    value: bytesToBase64(record.value),
    metadata: text,
    // Metadata bytes that are not UTF-8 (possible through the admin API) travel base64.
    metadataBase64: metadata !== null && text === null ? bytesToBase64(metadata) : null,
    generation: record.generation,
    lastModified: record.lastModified,
    expiresAt: record.expiresAt,
    contentType: record.contentType,
    now: now(admin),
  };
}

async function getEntry(request: RestRequest, admin: StoreAdmin, key: string): Promise<void> {
  const record = await admin.core.get(key);
  if (record === null) throw new RestError(404, `key ${JSON.stringify(key)} does not exist in store '${admin.name}' (or it expired)`);
  sendJson(request.res, 200, entryJson(admin, key, record));
}

/**
 * Body: `{ value (base64), metadata?: string | null, metadataBase64?: string, ttl?: seconds | null, mode?,
 * ifGenerationMatch? }` — metadataBase64 carries metadata that is not UTF-8 text (as GET answers it).
 */
async function putEntry(request: RestRequest, admin: StoreAdmin, key: string): Promise<void> {
  const body = await readJsonObject(request, '{"value": "<base64>", "metadata"?, "ttl"?, "mode"?, "ifGenerationMatch"?}');
  const value = typeof body.value === "string" ? base64ToBytes(body.value) : null;
  if (value === null) throw new RestError(400, `"value" is required and must be base64 text`);
  const options: AdminPutOptions = {};
  if (body.mode !== undefined) {
    if (!INSERT_MODES.includes(body.mode as InsertMode)) throw new RestError(400, `"mode" must be one of ${INSERT_MODES.join(", ")}, got ${JSON.stringify(body.mode)}`);
    options.mode = body.mode as InsertMode;
  }
  if (body.metadata !== undefined && body.metadata !== null) {
    if (typeof body.metadata !== "string") throw new RestError(400, `"metadata" must be a string or null`);
    options.metadata = body.metadata;
  }
  if (body.metadataBase64 !== undefined && body.metadataBase64 !== null) {
    const bytes = typeof body.metadataBase64 === "string" ? base64ToBytes(body.metadataBase64) : null;
    if (bytes === null) throw new RestError(400, `"metadataBase64" must be base64 text`);
    if (options.metadata !== undefined) throw new RestError(400, `give "metadata" or "metadataBase64", not both`);
    options.metadata = bytes;
  }
  if (body.ttl !== undefined && body.ttl !== null) {
    if (typeof body.ttl !== "number" || !Number.isSafeInteger(body.ttl) || body.ttl < 0 || body.ttl >= KVLimits.MAX_TTL_SECONDS) {
      throw new RestError(400, `"ttl" must be a whole number of seconds from 0 to ${KVLimits.MAX_TTL_SECONDS - 1}, or null for none`);
    }
    options.ttl = body.ttl;
  }
  if (body.ifGenerationMatch !== undefined && body.ifGenerationMatch !== null) {
    if (typeof body.ifGenerationMatch !== "number" || !Number.isSafeInteger(body.ifGenerationMatch) || body.ifGenerationMatch < 1) {
      throw new RestError(400, `"ifGenerationMatch" must be a generation (a positive whole number)`);
    }
    options.ifGenerationMatch = body.ifGenerationMatch;
  }
  try {
    await admin.put(key, value, options);
  } catch (error) {
    if (error instanceof KVError && error.code === "precondition-failed") return conflict(request, admin, key, options.mode === "add" ? "it already exists" : "it changed since you read it");
    throw error;
  }
  const record = await admin.core.get(key);
  if (record === null) return sendJson(request.res, 200, { store: admin.name, key, expired: true, now: now(admin) }); // ttl 0
  sendJson(request.res, 200, entryJson(admin, key, record));
}

/** 412 with what the key holds now, so the page can show both sides of the conflict. */
async function conflict(request: RestRequest, admin: StoreAdmin, key: string, why: string): Promise<void> {
  const current = await admin.core.get(key);
  sendJson(request.res, 412, {
    error: `conflict: key ${JSON.stringify(key)} was not written because ${why}${current === null ? " (it no longer exists)" : ` (generation ${current.generation} now)`}`,
    current: current === null ? null : entryJson(admin, key, current),
  });
}

async function deleteEntry(request: RestRequest, admin: StoreAdmin, key: string): Promise<void> {
  const generationText = request.query.get("generation");
  const ifGenerationMatch = generationText === null ? undefined : parseInteger(generationText, "query parameter 'generation'", 1, Number.MAX_SAFE_INTEGER);
  try {
    await admin.delete(key, ifGenerationMatch === undefined ? {} : { ifGenerationMatch });
  } catch (error) {
    if (error instanceof KVError && error.code === "precondition-failed") return conflict(request, admin, key, "it changed since you read it");
    if (error instanceof KVError && error.code === "not-found") throw new RestError(404, `key ${JSON.stringify(key)} does not exist in store '${admin.name}' (or it expired)`);
    throw error;
  }
  sendEmpty(request.res, 204);
}
