/**
 * `edge-kv/server`: a local HTTP server speaking Fastly's KV REST API (plus Apify- and Telnyx-style
 * dialects) over a store registry. Node only.
 *
 *   const server = await createServer({ port: 0 });   // 127.0.0.1, a free port
 *   fetch(`${server.url}/resources/stores/kv`, { headers: { "Fastly-Key": "any" } });
 *   await server.close();
 *
 * With no `registry`, requests use the active registry (`getRegistry()`), so what REST writes is what
 * `new KVStore(name)` reads in the same process, and the other way round.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { KVDriver } from "../drivers/driver.js";
import { KVLimits } from "../limits.js";
import { getRegistry, type KVRegistry, type StoreOptions } from "../registry.js";
import { checkBinding } from "./auth.js";
import { StoreCatalog, nameBasedIds } from "./catalog.js";
import type { DialectContext, ServerLimits } from "./context.js";
import { handleFastly, renderFastlyError } from "./fastly.js";
import { handleApify, renderApifyError } from "./apify.js";
import { handleTelnyx, renderTelnyxError } from "./telnyx.js";
import { RestError, parseRequest, sendJson, type RestRequest } from "./http.js";
import { handleExplorerApi } from "../explorer/api.js";
import { apiPath, guardReserved, isReservedPath, serveExplorerPage } from "../explorer/page.js";

export { RestError } from "./http.js";
export { checkBinding, isLoopbackHost, tokenMatches } from "./auth.js";
export { StoreCatalog, nameBasedIds, type StoreIds, type StoreInfo } from "./catalog.js";
export type { ServerLimits } from "./context.js";
export { EXPLORER_PREFIX, explorerUrl, isReservedPath } from "../explorer/page.js";

/** What the `faults` test hook sees of each request. */
export interface FaultRequest {
  method: string;
  /** The path as sent, with its query. */
  url: string;
  /** 1-based number of this request since the server started. */
  number: number;
}
/** `"cut"`: close the connection without answering. `rateLimit`: answer 429 with Retry-After and Fastly's rate-limit headers. */
export type FaultAction = "cut" | { rateLimit: { retryAfterSeconds?: number } };

export interface RestServerOptions {
  /** The stores served. Default: the active registry at each request (`getRegistry()`). */
  registry?: KVRegistry;
  /**
   * Require this token (`Fastly-Key`, or `Authorization: Bearer`), compared in constant time. Without
   * one, any token or none is accepted — allowed only on a loopback `host` unless `insecureNoToken`.
   */
  token?: string;
  /** Interface to bind. Default `127.0.0.1` (loopback only). Any other address needs a `token`. */
  host?: string;
  /**
   * Serve a non-loopback `host` without a token: every store is then readable and writable by anyone
   * who can reach the address. Without this, createServer refuses (EdgeKvError) to do so.
   */
  insecureNoToken?: boolean;
  /** Port to listen on; 0 (the default) picks a free one — read it from `server.port`. */
  port?: number;
  /**
   * A JSON file keeping store ids, timestamps and REST-created stores across restarts (the CLI puts it
   * in the data folder). Default: none, state lives in memory.
   */
  stateFile?: string;
  /** The registry's driver factory, when a state file is used with a folder: re-opens renamed stores on start. */
  createDriver?: (storeName: string) => KVDriver;
  /**
   * How stores get their dialect ids: "random" (default), or "by-name" — derived from the store name, so
   * several servers over shared stores (`edge-kv serve --redis`) give a store the same ids.
   */
  storeIds?: "random" | "by-name";
  /**
   * Awaited before each request is routed: lets the registry follow stores created or removed by other
   * servers over shared storage (`edge-kv serve --redis` passes a throttled one). Default: none.
   */
  syncStores?: () => Promise<void> | void;
  /** Options for stores created over REST. Default `{ maxMetadataBytes: 2000 }` (the REST API's metadata limit). */
  restStoreOptions?: StoreOptions;
  /** A client must send its request headers within this time. Default 10 s. */
  headersTimeoutMs?: number;
  /** A client must send its whole request within this time. Default 60 s. */
  requestTimeoutMs?: number;
  /** Size limits; defaults follow the REST docs (Fastly 25 MiB values, Telnyx 1 MiB, Apify 9 MiB records). */
  limits?: Partial<ServerLimits>;
  /**
   * Test hook, off by default: called for every request; return `"cut"` to drop the connection or
   * `{ rateLimit }` to answer 429, as a busy api.fastly.com would (tests of clients' resume and retry).
   */
  faults?: (request: FaultRequest) => FaultAction | undefined;
}

export interface RestServer {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** The underlying Node server. */
  readonly server: Server;
  /** Stops accepting connections and closes open ones. */
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: ServerLimits = {
  maxValueBytes: 25 * 1024 * 1024,
  maxBatchBytes: 100 * 1024 * 1024,
  maxApifyRecordBytes: 9 * 1024 * 1024,
  maxTelnyxValueBytes: 1024 * 1024,
};

/** The request handler alone, to mount in an existing `http` server or framework. */
export function createRequestHandler(options: Omit<RestServerOptions, "host" | "port"> = {}): (req: IncomingMessage, res: ServerResponse) => void {
  const limits: ServerLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const restStoreOptions: StoreOptions = options.restStoreOptions ?? { maxMetadataBytes: KVLimits.REST_METADATA_BYTES };
  let catalog: StoreCatalog | undefined;
  const idsFor = options.storeIds === "by-name" ? nameBasedIds : undefined;
  const sync = options.syncStores;
  const contextFor = (): DialectContext => {
    const registry = options.registry ?? getRegistry();
    if (catalog?.registry !== registry) catalog = new StoreCatalog(registry, { stateFile: options.stateFile, restStoreOptions, createDriver: options.createDriver, idsFor });
    return { catalog, limits, token: options.token };
  };
  contextFor(); // load the state file (and re-define REST stores) now: a bad one fails here, not at a request
  let requests = 0;
  const faults = options.faults;
  return (req, res) => {
    if (faults !== undefined && injectFault(faults({ method: req.method ?? "GET", url: req.url ?? "/", number: ++requests }), req, res)) return;
    const request = parseRequest(req, res);
    const routed = sync === undefined ? route(request, contextFor) : Promise.resolve(sync()).then(() => route(request, contextFor));
    void routed.catch((error: unknown) => fail(request, error));
  };
}

type Dialect = {
  handle: (request: RestRequest, context: DialectContext) => Promise<boolean>;
  render: (request: RestRequest, error: RestError) => void;
};
const DIALECTS: Dialect[] = [
  { handle: handleFastly, render: renderFastlyError },
  { handle: handleApify, render: renderApifyError },
  { handle: handleTelnyx, render: renderTelnyxError },
];
const dialectOf = new WeakMap<ServerResponse, Dialect>();

function injectFault(action: FaultAction | undefined, req: IncomingMessage, res: ServerResponse): boolean {
  if (action === undefined) return false;
  if (action === "cut") {
    req.socket.destroy();
    return true;
  }
  const wait = action.rateLimit.retryAfterSeconds ?? 1;
  req.resume();
  sendJson(res, 429, { msg: "Too Many Requests", detail: "rate limit exceeded (injected by the server's faults test hook)" }, {
    "retry-after": String(wait),
    "fastly-ratelimit-remaining": "0",
    "fastly-ratelimit-reset": String(Math.ceil(Date.now() / 1000) + wait),
  });
  return true;
}

async function route(request: RestRequest, contextFor: () => DialectContext): Promise<void> {
  if (request.rawPath === "/realms/fastly/.well-known/openid-configuration") {
    // The Fastly CLI fetches this before every command; any JSON object satisfies it.
    return sendJson(request.res, 200, { issuer: "http://127.0.0.1/realms/fastly", note: "edge-kv local server" });
  }
  const context = contextFor();
  if (isReservedPath(request.rawPath)) {
    // PLAN I5: the explorer at /_edge-kv/, the whole REST API again under /_edge-kv/api/.
    guardReserved(request);
    const path = apiPath(request.rawPath);
    if (path === null) return serveExplorerPage(request);
    request = { ...request, rawPath: path };
    if (await handleExplorerApi(request, context)) return;
  }
  for (const dialect of DIALECTS) {
    dialectOf.set(request.res, dialect);
    if (await dialect.handle(request, context)) return;
  }
  dialectOf.delete(request.res);
  throw new RestError(404, `no such endpoint: ${request.method} ${request.rawPath}. edge-kv serves /resources/stores/kv (Fastly), /v2/key-value-stores (Apify) and /v2/storage/kvs (Telnyx)`);
}

function fail(request: RestRequest, error: unknown): void {
  const { res } = request;
  const restError = error instanceof RestError ? error : new RestError(500, `internal error: ${error instanceof Error ? error.message : String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (!request.req.complete) {
    // The body was refused before it all arrived: answer, keep draining so the client can read the
    // answer, and close the connection shortly after.
    res.setHeader("connection", "close");
    request.req.resume();
    res.once("finish", () => setTimeout(() => request.req.socket.destroy(), 1000).unref());
  }
  const dialect = dialectOf.get(request.res);
  if (dialect) dialect.render(request, restError);
  else sendJson(res, restError.status, { error: restError.message });
}

/** Starts the server and resolves once it listens. Binds 127.0.0.1 unless `host` says otherwise. */
export async function createServer(options: RestServerOptions = {}): Promise<RestServer> {
  const host = options.host ?? "127.0.0.1";
  checkBinding({ host, token: options.token, insecureNoToken: options.insecureNoToken });
  const handler = createRequestHandler(options);
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const server = createHttpServer(
    {
      headersTimeout,
      requestTimeout: Math.max(options.requestTimeoutMs ?? 60_000, headersTimeout),
      keepAliveTimeout: 5000,
      connectionsCheckingInterval: Math.min(1000, headersTimeout),
    },
    handler,
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    host,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
