/**
 * The reserved prefix `/_edge-kv/` of every edge-kv server (PLAN I5): the explorer page at
 * `/_edge-kv/`, the REST API again under `/_edge-kv/api/` (edge-kv's own endpoints, then every
 * dialect). Only loopback clients using a loopback host name are answered (a DNS-rebinding guard),
 * and no cross-site request is accepted. The page is static and holds no data; every data request
 * carries the server's token when one is set.
 */
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { ExplorerAssets } from "./bundle.js";
import { RestError, header, type RestRequest } from "../server/http.js";

export const EXPLORER_PREFIX = "/_edge-kv";
export const EXPLORER_API_PREFIX = "/_edge-kv/api";

/** Whether `rawPath` is under the reserved prefix. */
export function isReservedPath(rawPath: string): boolean {
  return rawPath === EXPLORER_PREFIX || rawPath.startsWith(`${EXPLORER_PREFIX}/`);
}

/** The API path below `/_edge-kv/api` (`""` for the mount itself), or null when `rawPath` is not an API path. */
export function apiPath(rawPath: string): string | null {
  if (rawPath === EXPLORER_API_PREFIX) return "";
  return rawPath.startsWith(`${EXPLORER_API_PREFIX}/`) ? rawPath.slice(EXPLORER_API_PREFIX.length) : null;
}

/** A wildcard bind (0.0.0.0, ::) is opened at the loopback address: the explorer answers loopback names only. */
function loopbackOrigin(origin: string): string {
  const url = new URL(origin);
  if (url.hostname === "0.0.0.0") url.hostname = "127.0.0.1";
  else if (url.hostname === "[::]") url.hostname = "[::1]";
  return url.origin;
}

/**
 * The explorer's URL on a server at `origin` (`http://127.0.0.1:7878`), with the token in the fragment
 * when set. A server bound to every address (`http://0.0.0.0:7878`) gives its loopback URL, the one
 * the explorer answers.
 */
export function explorerUrl(origin: string, token?: string): string {
  return `${loopbackOrigin(origin)}${EXPLORER_PREFIX}/${token === undefined ? "" : `#token=${encodeURIComponent(token)}`}`;
}

/**
 * What a start-up line says about the explorer of a server at `origin`: its URL, or — on one
 * non-loopback address, where no client on this machine arrives from a loopback address — why it
 * cannot be opened and how to get it.
 */
export function explorerLine(origin: string, token?: string): string {
  const url = new URL(origin);
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (LOOPBACK_ADDRESS.test(host) || loopbackHostName(url.host) || host === "0.0.0.0" || host === "::") return explorerUrl(origin, token);
  const local = `http://127.0.0.1${url.port === "" ? "" : `:${url.port}`}${EXPLORER_PREFIX}/`;
  return `not reachable on ${host}: it answers clients on this machine by a loopback address only (bind --host 0.0.0.0 or 127.0.0.1 to open it at ${local})`;
}

const LOOPBACK_ADDRESS = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

function loopbackHostName(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  const lower = name.toLowerCase();
  return lower === "localhost" || lower.endsWith(".localhost") || lower === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(lower);
}

/** Refuses requests the explorer must not answer: from another machine, by a non-loopback name, or cross-site. */
export function guardReserved(request: RestRequest): void {
  const address = request.req.socket.remoteAddress ?? "";
  if (!LOOPBACK_ADDRESS.test(address)) {
    throw new RestError(403, `the explorer and /_edge-kv/api answer loopback clients only (this request came from ${address}); open it on the machine that runs the server`);
  }
  const host = header(request, "host") ?? "";
  if (!loopbackHostName(host)) {
    throw new RestError(403, `the explorer answers only loopback host names (localhost, 127.0.0.1, [::1]); this request named '${host}'`);
  }
  const origin = header(request, "origin");
  if (origin !== undefined && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      originHost = "";
    }
    if (originHost !== host) throw new RestError(403, `cross-site requests to ${EXPLORER_PREFIX}/ are refused (Origin ${origin})`);
  }
  if (header(request, "sec-fetch-site") === "cross-site") throw new RestError(403, `cross-site requests to ${EXPLORER_PREFIX}/ are refused`);
}

const TYPES: Record<keyof ExplorerAssets, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

const SECURITY_HEADERS = {
  // The page renders values as text only; this policy is the second line of defence.
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cache-control": "no-store",
};

let assets: Promise<ExplorerAssets> | undefined;

/** The built page: dist/explorer/ next to the built server, or built now from the sources. */
export function explorerAssets(): Promise<ExplorerAssets> {
  assets ??= loadAssets().catch((error: unknown) => {
    assets = undefined;
    throw error;
  });
  return assets;
}

async function loadAssets(): Promise<ExplorerAssets> {
  if (import.meta.url.endsWith(".ts")) {
    // Running from the sources: build the page from src/explorer/app/ (needs esbuild, a dev dependency).
    const bundler = "./bundle.js";
    const { bundleExplorer } = (await import(/* @vite-ignore */ bundler)) as typeof import("./bundle.js");
    return bundleExplorer();
  }
  const folder = new URL("./explorer/", import.meta.url);
  const read = (name: keyof ExplorerAssets) => readFile(fileURLToPath(new URL(name, folder)), "utf8");
  try {
    const [html, js, css] = await Promise.all([read("index.html"), read("app.js"), read("app.css")]);
    return { "index.html": html, "app.js": js, "app.css": css };
  } catch (error) {
    throw new RestError(500, `the explorer page is missing from this installation (${fileURLToPath(folder)}): ${(error as Error).message}. Reinstall edge-kv, or run npm run build in its repository`);
  }
}

/** Serves the page's files (everything under `/_edge-kv/` that is not `/_edge-kv/api`). */
export async function serveExplorerPage(request: RestRequest): Promise<void> {
  const { res, method } = request;
  if (method !== "GET" && method !== "HEAD") throw new RestError(405, `${method} is not supported on the explorer page; use GET`);
  if (request.rawPath === EXPLORER_PREFIX) {
    const query = request.query.toString();
    res.writeHead(308, { location: `${EXPLORER_PREFIX}/${query ? `?${query}` : ""}`, "content-length": "0" });
    return void res.end();
  }
  const file = request.rawPath.slice(EXPLORER_PREFIX.length + 1) || "index.html";
  if (!Object.hasOwn(TYPES, file)) throw new RestError(404, `no such explorer file: ${request.rawPath} (the page is at ${EXPLORER_PREFIX}/)`);
  const name = file as keyof ExplorerAssets;
  const body = (await explorerAssets())[name];
  res.writeHead(200, { ...SECURITY_HEADERS, "content-type": TYPES[name], "content-length": String(Buffer.byteLength(body)) });
  res.end(method === "HEAD" ? undefined : body);
}
