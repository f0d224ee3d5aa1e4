/**
 * Node's HTTP server in front of an app's `fetch` (Node only): IncomingMessage → Request as Viceroy
 * builds it (URL `http://` + Host header + path, every header in order, the body), the app's
 * Response → ServerResponse (status, headers including each Set-Cookie, the body streamed; a body
 * that arrives in one piece is sent with its length).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AppRequestInit } from "../app.js";
import { takeStaticBody } from "../body.js";
import type { LazyRequest } from "../lifecycle.js";

/** Whether the request can have a body (every method but GET and HEAD). */
export function hasBody(req: IncomingMessage): boolean {
  return req.method !== "GET" && req.method !== "HEAD";
}

/** The request body (none for GET and HEAD). */
export async function readRequestBody(req: IncomingMessage): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!hasBody(req)) return undefined;
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  return new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength);
}

/** The URL Viceroy gives the app: http://<Host header><path> (the listening address when Host is missing). */
export function requestUrl(req: IncomingMessage): string {
  const host = req.headers.host ?? `${req.socket.localAddress}:${req.socket.localPort}`;
  return `http://${host}${req.url ?? "/"}`;
}

function buildRequest(req: IncomingMessage, url: string, method: string, body: Uint8Array<ArrayBuffer> | undefined): Request {
  const raw = req.rawHeaders;
  const headers: Array<[string, string]> = [];
  for (let index = 0; index < raw.length; index += 2) headers.push([raw[index]!, raw[index + 1]!]);
  return new Request(url, body === undefined ? { method, headers } : { method, headers, body });
}

/** A Request and the client/server values (TCP peer and local address) for `app.fetch`. */
export function toAppRequest(req: IncomingMessage, body: Uint8Array<ArrayBuffer> | undefined): { request: Request; init: AppRequestInit } {
  const request = buildRequest(req, requestUrl(req), req.method ?? "GET", body);
  const init: AppRequestInit = {
    client: { address: req.socket.remoteAddress ?? null },
    server: { address: req.socket.localAddress ?? "127.0.0.1" },
  };
  return { request, init };
}

/**
 * The request as the host hands it to the app: its method and URL now (checked: a Host header that
 * makes no URL throws TypeError here, as `new Request` would), the Request itself only when the app
 * first reads `event.request` — an app that never does costs no Request.
 */
export function lazyAppRequest(req: IncomingMessage, body: Uint8Array<ArrayBuffer> | undefined): LazyRequest {
  const url = requestUrl(req);
  if (!URL.canParse(url)) throw new TypeError(`Invalid URL: ${url}`);
  const method = req.method ?? "GET";
  return { method, url, create: () => buildRequest(req, url, method, body) };
}

/**
 * A small body as a latin1 string (one character per byte, so the bytes go out unchanged): Node then
 * sends the header and the body in one write instead of a writev of two buffers — half the latency
 * on loopback. Larger bodies go as they are.
 */
function asLatin1(bytes: Uint8Array): string | undefined {
  return bytes.byteLength <= 16384 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1") : undefined;
}

const ASCII = /^[\0-\x7f]*$/;

/** Writes `response` to `res`; resolves when it is sent (or the client went away). */
export async function sendResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: string[] = [];
  for (const [name, value] of response.headers) if (name !== "set-cookie") headers.push(name, value);
  for (const cookie of response.headers.getSetCookie()) headers.push("set-cookie", cookie);
  // A body made from a string or bytes goes out as it is, without reading it through its stream.
  const whole = takeStaticBody(response);
  if (whole !== undefined) {
    if (typeof whole === "string" && whole.length <= 16384 && ASCII.test(whole)) {
      if (!response.headers.has("content-length")) headers.push("content-length", String(whole.length));
      res.writeHead(response.status, headers);
      res.end(whole, "latin1");
      return;
    }
    const bytes = typeof whole === "string" ? Buffer.from(whole, "utf8") : whole;
    if (!response.headers.has("content-length")) headers.push("content-length", String(bytes.byteLength));
    res.writeHead(response.status, headers);
    const small = asLatin1(bytes);
    if (small === undefined) res.end(bytes);
    else res.end(small, "latin1");
    return;
  }
  if (response.body === null) {
    if (response.status !== 204 && response.status !== 304 && !response.headers.has("content-length")) headers.push("content-length", "0");
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const first = await reader.read();
  if (first.done) {
    res.writeHead(response.status, headers);
    res.end();
    return;
  }
  const second = await reader.read();
  if (second.done) {
    // The whole body in one chunk: send it with its length, no chunked encoding.
    if (!response.headers.has("content-length")) headers.push("content-length", String(first.value.byteLength));
    res.writeHead(response.status, headers);
    const small = asLatin1(first.value);
    if (small === undefined) res.end(first.value);
    else res.end(small, "latin1");
    return;
  }
  res.writeHead(response.status, headers);
  let closed = false;
  res.once("close", () => {
    if (!res.writableFinished) {
      closed = true;
      void reader.cancel().catch(() => undefined);
    }
  });
  for (let chunk: ReadableStreamReadResult<Uint8Array> = first; !chunk.done && !closed; chunk = chunk === first ? second : await reader.read()) {
    if (!res.write(chunk.value)) await new Promise<void>((resume) => res.once("drain", resume).once("close", resume));
  }
  if (!closed) res.end();
}
