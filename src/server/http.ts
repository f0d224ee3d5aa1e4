/**
 * HTTP plumbing shared by the three REST dialects: raw path parsing (keys are path segments and may
 * contain encoded or raw `/`), bounded body reading, response writing, and `RestError` — the one
 * error type dialects throw; each dialect renders it in its own error envelope.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { brotliDecompressSync, gunzipSync, inflateSync } from "node:zlib";
import { encodeUtf8, firstInvalidUtf8Offset } from "../utf8.js";

/** A REST failure: the status, a message saying what was wrong and what to do, and dialect extras. */
export class RestError extends Error {
  readonly status: number;
  /** Dialect-specific error type/code (Apify `type`, Telnyx `code`); the dialect picks a default. */
  readonly code: string | undefined;
  /** Send this status with an empty body (Fastly's 412). */
  readonly emptyBody: boolean;
  constructor(status: number, message: string, options: { code?: string; emptyBody?: boolean } = {}) {
    super(message);
    this.name = "RestError";
    this.status = status;
    this.code = options.code;
    this.emptyBody = options.emptyBody ?? false;
  }
}

export interface RestRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly method: string;
  /** The path exactly as sent (no `..` normalisation, still percent-encoded). */
  readonly rawPath: string;
  readonly query: URLSearchParams;
}

export function parseRequest(req: IncomingMessage, res: ServerResponse): RestRequest {
  const url = req.url ?? "/";
  const mark = url.indexOf("?");
  const rawPath = mark === -1 ? url : url.slice(0, mark);
  const query = new URLSearchParams(mark === -1 ? "" : url.slice(mark + 1));
  return { req, res, method: (req.method ?? "GET").toUpperCase(), rawPath, query };
}

/**
 * Query parameters are read with URLSearchParams, which turns bytes that are not UTF-8 into U+FFFD;
 * a 400 naming the parameter instead, so no store name, prefix or key is silently changed.
 */
export function checkQuery(request: RestRequest): void {
  const url = request.req.url ?? "";
  const mark = url.indexOf("?");
  if (mark === -1 || !url.includes("%", mark)) return;
  for (const part of url.slice(mark + 1).split("&")) {
    if (!part.includes("%")) continue;
    const bytes: number[] = [];
    for (let i = 0; i < part.length; i++) {
      if (part[i] === "%" && /^[0-9a-fA-F]{2}$/.test(part.slice(i + 1, i + 3))) {
        bytes.push(parseInt(part.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(...encodeUtf8(part[i] === "+" ? " " : part[i]!));
    }
    if (firstInvalidUtf8Offset(new Uint8Array(bytes)) === -1) continue;
    const equals = part.indexOf("=");
    const name = [...new URLSearchParams(part).keys()][0] ?? "";
    throw new RestError(400, `query parameter '${name}' is not valid UTF-8 once percent-decoded ('${part.slice(equals + 1)}'): percent-encode the UTF-8 bytes of the text`);
  }
}

/** Request body text: UTF-8 (a leading byte order mark is dropped); anything else is a 400 naming the first bad byte. */
export function decodeText(bytes: Uint8Array, what: string): string {
  const bad = firstInvalidUtf8Offset(bytes);
  if (bad !== -1) throw new RestError(400, `${what} is not valid UTF-8 (byte ${bad}): send UTF-8 text`);
  return bodyDecoder.decode(bytes);
}
const bodyDecoder = new TextDecoder();

/** Percent-decodes one path segment; a malformed escape is a 400 naming the segment. */
export function decodeSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new RestError(400, `${what} '${segment}' is not valid percent-encoding (encode it with encodeURIComponent)`);
  }
}

/**
 * Splits `rawPath` after `prefix` into segments. Returns null when the path is not under `prefix`.
 * Segments stay encoded; callers decode what they need (a key takes the whole rest, raw `/` included).
 */
export function pathAfter(rawPath: string, prefix: string): string[] | null {
  if (rawPath === prefix) return [];
  if (!rawPath.startsWith(prefix + "/")) return null;
  const rest = rawPath.slice(prefix.length + 1);
  return rest === "" ? [] : rest.split("/");
}

/** The request body, at most `limit` bytes (more is a 413 naming the limit). Decodes Content-Encoding when asked. */
export async function readBody(request: RestRequest, limit: number, options: { decode?: boolean; what?: string } = {}): Promise<Uint8Array> {
  const { req } = request;
  const tooLarge = (size: number) =>
    new RestError(413, `${options.what ?? "the value"} is ${size} bytes; the limit is ${limit} bytes`, { code: "payload-too-large" });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total <= limit) return void chunks.push(chunk);
      // Refuse as soon as the limit is passed (a chunked upload has no length to check up front);
      // the error handler answers 413 and closes the connection.
      req.off("data", onData);
      chunks.length = 0;
      reject(new RestError(413, `${options.what ?? "the value"} is more than ${limit} bytes (${total} received so far); the limit is ${limit} bytes`, { code: "payload-too-large" }));
    };
    req.on("data", onData);
    req.once("end", resolve);
    req.once("error", reject);
    req.once("close", () => {
      if (!req.complete) reject(new RestError(400, "the client closed the connection before the whole body arrived"));
    });
  });
  let body: Buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  const encoding = String(req.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (options.decode && encoding !== "identity" && encoding !== "") {
    const decode = { br: brotliDecompressSync, gzip: gunzipSync, deflate: inflateSync }[encoding];
    if (!decode) throw new RestError(415, `Content-Encoding '${encoding}' is not supported: use br, gzip, deflate or identity`);
    try {
      body = decode(body, { maxOutputLength: limit + 1 });
    } catch (error) {
      if ((error as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" || body.byteLength > limit) {
        throw new RestError(413, `${options.what ?? "the value"} is more than ${limit} bytes once decoded (${encoding}); the limit is ${limit} bytes`, { code: "payload-too-large" });
      }
      throw new RestError(400, `the request body is not valid ${encoding} data (Content-Encoding: ${encoding})`);
    }
    if (body.byteLength > limit) throw tooLarge(body.byteLength);
  }
  return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
}

/** Parses a JSON object body; anything else is a 400 that says what was expected. */
export async function readJsonObject(request: RestRequest, what: string, options: { optional?: boolean } = {}): Promise<Record<string, unknown>> {
  const bytes = await readBody(request, 1024 * 1024, { what: "the JSON body" });
  const text = decodeText(bytes, "the JSON body").trim();
  if (text === "" && options.optional) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new RestError(400, `the request body must be a JSON object (${what}); got ${text === "" ? "an empty body" : "invalid JSON"}`);
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new RestError(400, `the request body must be a JSON object (${what})`);
  }
  return parsed as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}, contentType = "application/json"): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, status === 204 || status === 304 ? headers : { "content-length": "0", ...headers });
  res.end();
}

export function sendBytes(request: RestRequest, status: number, body: Uint8Array, headers: Record<string, string>): void {
  const { res } = request;
  res.writeHead(status, { ...headers, "content-length": String(body.byteLength) });
  if (request.method === "HEAD") res.end();
  else res.end(body);
}

/** The token a request carries: `Authorization: Bearer <t>` (or a `token` query parameter, as Apify allows). */
export function bearerToken(request: RestRequest, allowQuery = false): string | undefined {
  const header = request.req.headers.authorization;
  if (typeof header === "string") {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match) return match[1];
  }
  if (allowQuery) return request.query.get("token") ?? undefined;
  return undefined;
}

/** A header as raw bytes: Node decodes header values as latin1, so each char is one byte as sent. */
export function headerBytes(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value, "latin1"));
}

/** Bytes as a header value Node writes back verbatim (latin1: one char per byte). */
export function bytesToHeader(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");
}

/** One header value (the first when repeated), or undefined. */
export function header(request: RestRequest, name: string): string | undefined {
  const value = request.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A whole decimal number within [min, max], or a 400 naming the parameter. */
export function parseInteger(text: string, what: string, min: number, max: number): number {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed) || Number(trimmed) < min || Number(trimmed) > max || !Number.isSafeInteger(Number(trimmed))) {
    throw new RestError(400, `${what} must be a whole number from ${min} to ${max}, got '${text}'`);
  }
  return Number(trimmed);
}

/** `true`/`false` query flags (Fastly clients send the string `true`); absent is false. */
export function parseFlag(request: RestRequest, name: string): boolean {
  const value = request.query.get(name);
  if (value === null) return false;
  const lower = value.toLowerCase();
  if (lower === "true" || lower === "1" || lower === "") return true;
  if (lower === "false" || lower === "0") return false;
  throw new RestError(400, `query parameter '${name}' must be true or false, got '${value}'`);
}

export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

/** 405 for a method an endpoint does not support. */
export function methodNotAllowed(method: string): RestError {
  return new RestError(405, `${method} is not supported on this endpoint`);
}
