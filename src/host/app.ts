/**
 * `loadApp(entry)`: a Compute app — a module that calls `addEventListener("fetch", ...)` — as a
 * function from Request to Response, the one path for tests (`app.fetch("/path")`) and for serving
 * (`edge-kv dev` hands every HTTP request to the same `fetch`).
 */
import { EdgeKvError } from "../errors.js";
import { setComputeContextProvider } from "../compute/context.js";
import { setOperationContextProvider, type OperationContextProvider } from "../observer.js";
import { isRegistry, setRegistry, setRegistryScope, type KVRegistry } from "../registry.js";
import { installGlobals } from "../shim/globals.js";
import { relayBody } from "./body.js";
import { currentRequest, currentScope, openScope, runInScope, type HostScope, type OpenScope, type RequestScope } from "./context.js";
import type { AppErrorInfo, ClientValues, FetchListener, GeoLookup, ServerValues } from "./fetch-event.js";
import { defaultGeolocation, geolocationTable, lookupAsJson, type GeolocationLookup, type GeolocationOptions } from "./geolocation.js";
import { FetchEventLifecycle, type LazyRequest, type LifecycleHooks, type RequestSource } from "./lifecycle.js";
import { captureListeners } from "./listeners.js";
import { LOCAL_SERVER, formatRequestId } from "./messages.js";

/** Per-request client values a test may set (everything else is as Viceroy gives it: TLS fields null). */
export type ClientOverrides = Partial<ClientValues>;
export type ServerOverrides = Partial<ServerValues>;

/** `init` for `app.fetch`: a RequestInit plus the client and server the request seems to come from and go to. */
export interface AppRequestInit extends RequestInit {
  client?: ClientOverrides;
  server?: ServerOverrides;
}

export interface App {
  /**
   * Sends a request to the app, as a client reaching it on Compute would: resolves with the app's
   * Response, or the runtime's 500 (empty body) when the app fails. A relative URL ("/path") is
   * resolved against `origin` (default http://127.0.0.1:7676, Viceroy's address). Rejects only for
   * bad input (what `new Request(input, init)` rejects) or once the app is closed.
   */
  fetch(input: RequestInfo | URL, init?: AppRequestInit): Promise<Response>;
  /** Resolves once every respondWith / waitUntil promise of every request so far has settled. */
  settled(): Promise<void>;
  /** Waits for `settled()`, then refuses further requests. */
  close(): Promise<void>;
}

/** Imports the app module (e.g. `() => import("../src/index.ts")`); it must not have been evaluated before. */
export type AppModuleLoader = () => unknown;

export interface LoadAppOptions {
  /** The registry the app runs against (its stores, config and secret stores, env). Default: the active one. */
  registry?: KVRegistry;
  /**
   * `fastly:env` values of this app, seen at its top level and in every request (like build-time
   * `--env` values); `undefined` hides a variable. Values set with `registry.env.set` still win.
   */
  env?: Record<string, string | undefined>;
  /** Install the Compute globals (KVStore, ConfigStore, SecretStore, `fastly`...) as the runtime has them. Default true. */
  globals?: boolean;
  /** Default client values for every request (per request: `init.client`). Default: address 127.0.0.1. */
  client?: ClientOverrides;
  /** Default server values (per request: `init.server`). Default: address 127.0.0.1. */
  server?: ServerOverrides;
  /**
   * `event.client.geo` by client address, as fastly.toml's `[local_server.geolocation]` gives it:
   * `{ addresses: { "203.0.113.7": { city: "Oslo", ... } }, useDefaultLoopback }`, or a function
   * (address) => record | null. Default: what the Vitest plugin read from fastly.toml, else Viceroy's
   * (its default record for a loopback address, else null). `client: { geo }` still wins.
   */
  geolocation?: GeolocationOptions | GeolocationLookup;
  /** Base for relative request URLs. Default http://127.0.0.1:7676. */
  origin?: string | URL;
  /** The first request's id counter: ids are `{:032x}` of 0, 1, 2... as on Viceroy. Default 0. */
  requestIdStart?: number;
  /**
   * Where a failing request's error goes (the app still gets its 500). Default: printed with its
   * stack to console.error. Errors are never swallowed.
   */
  onError?: (error: unknown, info: AppErrorInfo) => void;
  /**
   * For a path or URL entry: evaluate a fresh copy of the entry module (a cache-busting query), so the
   * same app can be loaded twice. Modules the entry imports are shared between copies. Default true.
   */
  fresh?: boolean;
}

const FRESH = Symbol.for("edge-kv.host.fresh-counter");
const counterHolder = globalThis as { [FRESH]?: number };

export function defaultOnError(error: unknown, info: AppErrorInfo): void {
  console.error(`${info.message} (${info.method} ${info.url}, request ${info.requestId})\n`, error);
}

/** Imports a module by URL or path specifier (`(specifier) => import(specifier)` in the caller's module). */
export type ModuleImporter = (specifier: string) => Promise<unknown>;

const nativeImport: ModuleImporter = (specifier) => import(/* @vite-ignore */ specifier);

/** Loads an app: evaluates its module with `addEventListener` captured, and returns its `fetch`. */
export function loadApp(entry: string | URL | AppModuleLoader, options: LoadAppOptions = {}): Promise<App> {
  return loadAppWith(nativeImport, entry, options);
}

/**
 * loadApp with the `import()` of a given module: edge-kv/host passes its own, so that the import runs
 * where the entry module was loaded (Vitest's module runner inlines that one file).
 */
export async function loadAppWith(importModule: ModuleImporter, entry: string | URL | AppModuleLoader, options: LoadAppOptions = {}): Promise<App> {
  const settings = checkOptions(options);
  installContextProviders();
  if (options.globals !== false) installGlobals();
  const load = typeof entry === "function" ? async () => entry() : importer(importModule, entry, options.fresh !== false);
  const registry = options.registry;
  // The app's top level runs as Compute's initialization (store constructors refuse to run, env shows
  // only build-time values), against the app's registry when it has one.
  const initScope: HostScope = { phase: "init", ...(settings.env && { env: settings.env }), ...(registry && { registry }) };
  const evaluate = () =>
    runInScope(initScope, async () => {
      const previous = registry === undefined ? undefined : setRegistry(registry);
      try {
        return await load();
      } finally {
        if (previous !== undefined) setRegistry(previous);
      }
    });
  const { listeners } = await captureListeners(evaluate);
  if (listeners.length === 0) throw noListener(entry);
  // From now on `new KVStore(name)` (and the other stores) look in the registry of the app whose request runs.
  if (registry !== undefined) setRegistryScope(scopedRegistry);
  return new LoadedApp(listeners, settings, options.registry);
}

interface Settings {
  origin: string;
  env: Readonly<Record<string, string | undefined>> | undefined;
  client: ClientValues;
  server: ServerValues;
  geo: GeoLookup;
  nextRequestId: number;
  onError: (error: unknown, info: AppErrorInfo) => void;
}

/** The response of one request, as `edge-kv dev` sends it (see LoadedApp[SERVE]). */
export type Deliver = (response: Response, streamed: boolean) => PromiseLike<unknown> | void;

/** What `edge-kv dev` hands the app for one HTTP request (app[SERVE]). */
export interface ServedRequest {
  request: LazyRequest;
  client: ClientOverrides;
  server: ServerOverrides;
  deliver: Deliver;
}

/** The method `edge-kv dev` dispatches through: no Request built unless the app reads it, the response sent in the request's scope. */
export const SERVE = Symbol.for("edge-kv.host.serve");

/** On a request's scope: the app it belongs to (for addEventListener called while it runs). */
const APP = Symbol("edge-kv.host.app");
type AppScope = RequestScope & { readonly [APP]?: LoadedApp };

/** Where addEventListener puts a listener once the app has loaded. */
export interface ListenerTarget {
  addListener(listener: FetchListener): void;
}

/**
 * The app a listener added now belongs to: the app whose request is running, else `app` (when it was
 * made by loadApp). See installLateAddEventListener.
 */
export function listenerTarget(app: App | undefined): ListenerTarget | undefined {
  const scope = currentScope();
  return (scope as AppScope | undefined)?.[APP] ?? (app instanceof LoadedApp ? app : undefined);
}

class LoadedApp implements App {
  #listeners: readonly FetchListener[];
  #settings: Settings;
  #registry: KVRegistry | undefined;
  /** Requests not over yet (their listeners, respondWith / waitUntil promises, the response being sent). */
  #inFlight = 0;
  #idle: Array<() => void> = [];
  #closed = false;
  readonly report = (error: unknown, info: AppErrorInfo): void => this.#report(error, info);

  constructor(listeners: readonly FetchListener[], settings: Settings, registry: KVRegistry | undefined) {
    this.#listeners = listeners;
    this.#settings = settings;
    this.#registry = registry;
  }

  fetch(input: RequestInfo | URL, init?: AppRequestInit): Promise<Response> {
    if (this.#closed) return Promise.reject(closedError());
    let request: Request;
    let client = this.#settings.client;
    let server = this.#settings.server;
    try {
      if (init !== undefined && (init.client !== undefined || init.server !== undefined)) {
        const { client: clientOverrides, server: serverOverrides, ...requestInit } = init;
        if (clientOverrides !== undefined) client = { ...client, ...checkClient(clientOverrides, "init.client") };
        if (serverOverrides !== undefined) server = { ...server, ...checkServer(serverOverrides, "init.server") };
        init = requestInit;
      }
      request = toRequest(input, init, this.#settings.origin);
    } catch (error) {
      return Promise.reject(error);
    }
    const run = new InProcessRequest(this);
    this.#dispatch(request, client, server, run);
    return run.response;
  }

  /** `edge-kv dev`: one HTTP request, its values already checked; the response goes to `served.deliver`. */
  [SERVE](served: ServedRequest): void {
    if (this.#closed) throw closedError();
    const { client, server } = this.#settings;
    this.#dispatch(served.request, { ...client, ...served.client }, { ...server, ...served.server }, new ServedRequestRun(this, served.deliver));
  }

  #dispatch(request: RequestSource, client: ClientValues, server: ServerValues, run: RequestRun): void {
    // The id goes to the lifecycle on its own: event.client's values get it only if the app reads event.client.
    const requestId = client.requestId ?? formatRequestId(this.#settings.nextRequestId++);
    const appEnv = this.#settings.env;
    const env = appEnv === undefined ? { FASTLY_TRACE_ID: requestId } : { ...appEnv, FASTLY_TRACE_ID: requestId };
    const scope: AppScope =
      this.#registry === undefined
        ? { phase: "request", requestId, traceId: requestId, env, [APP]: this }
        : { phase: "request", requestId, traceId: requestId, env, registry: this.#registry, [APP]: this };
    this.#inFlight++;
    run.scope = openScope(scope, true);
    const lifecycle = new FetchEventLifecycle(request, client, requestId, server, this.#settings.geo, run);
    run.scope.run(() => lifecycle.dispatch(this.#listeners));
  }

  /** A listener added after the app loaded (the runtime keeps it for the requests that follow). */
  addListener(listener: FetchListener): void {
    // A new array: the event being dispatched keeps the list it started with.
    this.#listeners = [...this.#listeners, listener];
  }

  /** A request is over. */
  requestDone(): void {
    if (--this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }

  settled(): Promise<void> {
    return this.#inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.settled();
  }

  #report(error: unknown, info: AppErrorInfo): void {
    try {
      this.#settings.onError(error, info);
    } catch (failure) {
      // An onError that throws must not hide the app's error, nor break the request.
      defaultOnError(error, info);
      defaultOnError(failure, { ...info, message: "loadApp({ onError }) threw while reporting the error above" });
    }
  }
}

function closedError(): EdgeKvError {
  return new EdgeKvError("this app was closed (app.close()); load it again with loadApp(...) to send it requests");
}

/** The host's side of one request: its scope, where its errors and its response go. */
abstract class RequestRun implements LifecycleHooks {
  scope!: OpenScope;
  protected readonly app: LoadedApp;

  constructor(app: LoadedApp) {
    this.app = app;
  }

  report(error: unknown, info: AppErrorInfo): void {
    this.app.report(error, info);
  }

  run<R>(fn: () => R): R {
    return this.scope.run(fn);
  }

  abstract deliver(response: Response, streamed: boolean): PromiseLike<unknown> | void;

  done(): void {
    this.scope.close();
    this.app.requestDone();
  }
}

/**
 * `app.fetch`: the response resolves the caller's promise. A streamed body is relayed: the host reads
 * the app's stream (in the request's scope) into the body the caller gets, so the event stays active
 * until the app has written it all, as on Compute.
 */
class InProcessRequest extends RequestRun {
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;

  constructor(app: LoadedApp) {
    super(app);
    this.response = new Promise<Response>((resolve) => (this.#resolve = resolve));
  }

  deliver(response: Response, streamed: boolean): PromiseLike<unknown> | void {
    const relayed = streamed ? relayBody(response, (fn) => this.run(fn)) : undefined;
    this.#resolve(relayed?.response ?? response);
    return relayed?.done;
  }
}

class ServedRequestRun extends RequestRun {
  #deliver: Deliver;

  constructor(app: LoadedApp, deliver: Deliver) {
    super(app);
    this.#deliver = deliver;
  }

  deliver(response: Response, streamed: boolean): PromiseLike<unknown> | void {
    return this.#deliver(response, streamed);
  }
}

/** Builds the Request the app sees: relative URLs against `origin`; a body (maybe empty) for every method but GET/HEAD; a Host header. */
function toRequest(input: RequestInfo | URL, init: RequestInit | undefined, origin: string): Request {
  let request: Request;
  if (typeof input === "string" && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(input)) request = new Request(new URL(input, origin), init);
  else if (input instanceof Request && (init === undefined || isEmpty(init))) request = input; // as fetch(request) sends it: no copy
  else request = new Request(input, init);
  // On Compute every method but GET and HEAD has a (possibly empty) body stream.
  if (request.body === null && request.method !== "GET" && request.method !== "HEAD") request = new Request(request, { body: new Uint8Array(0) });
  // A request reaching Compute always has a Host header (HTTP/1.1 requires one; HTTP/2's :authority
  // becomes one), and apps route on it. A browser's Request will not take it (a forbidden header):
  // there the app sees none, as the docs say.
  if (!request.headers.has("host")) {
    try {
      request.headers.set("host", hostOf(request.url));
    } catch {
      // immutable headers (a Request from a fetch event of the page): left as given
    }
  }
  return request;
}

/**
 * `new URL(href).host` of a serialized URL (a Request's url), without parsing it again: the authority
 * after "scheme://" up to the path, query or fragment. A Request's URL has no credentials (the
 * constructor refuses them), so the authority is the host and port, serialized as URL#host gives them;
 * a URL without "//" after its scheme (data:, mailto:, a path-only non-special URL) has no host.
 */
export function hostOf(href: string): string {
  const colon = href.indexOf(":");
  if (colon < 0 || href.charCodeAt(colon + 1) !== 0x2f || href.charCodeAt(colon + 2) !== 0x2f) return "";
  const start = colon + 3;
  let end = start;
  for (; end < href.length; end++) {
    const code = href.charCodeAt(end);
    if (code === 0x2f || code === 0x3f || code === 0x23) break; // "/", "?", "#"
  }
  return href.slice(start, end);
}

const scopedRegistry = () => currentScope()?.registry;

let providersInstalled = false;

/**
 * Tells the rest of edge-kv where code runs (once per process): store operations made while a request
 * runs carry `{ requestId }` in their observer events (registry.onOperation), and the Compute modules
 * see the phase (init or request) and the host's env values (FASTLY_TRACE_ID, the app's `env` option).
 */
function installContextProviders(): void {
  if (providersInstalled) return;
  providersInstalled = true;
  let previous: OperationContextProvider | null = null;
  const operationContext: OperationContextProvider = () => {
    const request = currentRequest();
    return request === undefined ? (previous?.() ?? undefined) : { requestId: request.requestId };
  };
  previous = setOperationContextProvider(operationContext);
  setComputeContextProvider(() => {
    const scope = currentScope();
    return scope === undefined ? undefined : scope.env === undefined ? { phase: scope.phase } : { phase: scope.phase, env: scope.env };
  });
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

function importer(importModule: ModuleImporter, entry: string | URL, fresh: boolean): () => Promise<unknown> {
  const url = entryUrl(entry);
  if (fresh && (url.protocol === "file:" || url.protocol === "http:" || url.protocol === "https:")) {
    const count = (counterHolder[FRESH] = (counterHolder[FRESH] ?? 0) + 1);
    url.searchParams.append("edge-kv-app", String(count));
  }
  let specifier = url.href;
  // Under Vitest's DOM environments `new URL("./app.ts", import.meta.url)` becomes a URL on the page's
  // origin (http://localhost:3000/...): the module runner resolves its path, not the URL.
  const pageOrigin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (url.origin === pageOrigin && (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.VITEST) specifier = url.pathname + url.search;
  return () => importModule(specifier);
}

/** The entry as a URL: URLs as they are, absolute paths as file URLs, relative paths against the working directory. */
export function entryUrl(entry: string | URL): URL {
  if (entry instanceof URL) return new URL(entry.href);
  if (typeof entry !== "string" || entry === "") throw new EdgeKvError(`loadApp: the entry must be a path, a URL or a function that imports the app module, got ${entry === "" ? "an empty string" : typeof entry}`);
  if (/^[A-Za-z][A-Za-z0-9+.-]+:/.test(entry) && !/^[A-Za-z]:[\\/]/.test(entry)) return new URL(entry);
  if (entry.startsWith("/") || /^[A-Za-z]:[\\/]/.test(entry) || entry.startsWith("\\\\")) return fileUrl(entry);
  const cwd = (globalThis as { process?: { cwd?: () => string } }).process?.cwd?.();
  if (cwd !== undefined) return fileUrl(`${cwd.replace(/[\\/]+$/, "")}/${entry}`);
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  if (base !== undefined) return new URL(entry, base);
  throw new EdgeKvError(`loadApp: cannot resolve the relative entry '${entry}' here (no working directory, no page URL); pass a URL or a function that imports the module`);
}

function fileUrl(path: string): URL {
  const url = new URL("file:///");
  const slashed = path.replace(/\\/g, "/");
  url.pathname = slashed.startsWith("/") ? slashed : `/${slashed}`;
  return url;
}

function noListener(entry: string | URL | AppModuleLoader): EdgeKvError {
  const what = typeof entry === "function" ? "the module your loader imported" : String(entry);
  return new EdgeKvError(
    `loadApp: ${what} registered no fetch listener while it loaded. A Compute app calls addEventListener("fetch", (event) => event.respondWith(...)) at its top level; ` +
      `an exported handler (export default { fetch }) is never called on Compute. ` +
      (typeof entry === "function"
        ? "If that module was imported before, its top level did not run again: pass its path or URL instead (loadApp evaluates a fresh copy), or call vi.resetModules() first."
        : "If it registers its listener later (after an await in a timer, say), register it at the top level instead."),
  );
}

function checkOptions(options: LoadAppOptions): Settings {
  if (options === null || typeof options !== "object") throw new EdgeKvError(`loadApp: options must be an object, got ${options === null ? "null" : typeof options}`);
  const known = new Set(["registry", "env", "globals", "client", "server", "geolocation", "origin", "requestIdStart", "onError", "fresh"]);
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new EdgeKvError(`loadApp: unknown option "${key}". Options are: ${[...known].join(", ")}`);
  }
  let origin: string = LOCAL_SERVER.origin;
  if (options.origin !== undefined) {
    let url: URL;
    try {
      url = new URL(String(options.origin));
    } catch {
      throw new EdgeKvError(`loadApp: origin must be an absolute URL like "https://example.com", got ${JSON.stringify(String(options.origin))}`);
    }
    origin = url.origin === "null" ? url.href : url.origin;
  }
  const start = options.requestIdStart ?? 0;
  if (!Number.isSafeInteger(start) || start < 0) throw new EdgeKvError(`loadApp: requestIdStart must be a non-negative integer, got ${String(start)}`);
  if (options.onError !== undefined && typeof options.onError !== "function") throw new EdgeKvError(`loadApp: onError must be a function (error, info) => void, got ${typeof options.onError}`);
  if (options.registry !== undefined && !isRegistry(options.registry)) {
    throw new EdgeKvError("loadApp: registry must be a KVRegistry (new KVRegistry() from edge-kv)");
  }
  const client: ClientValues = { ...DEFAULT_CLIENT, ...(options.client === undefined ? {} : checkClient(options.client, "client")) };
  const server: ServerValues = { address: LOCAL_SERVER.serverAddress, ...(options.server === undefined ? {} : checkServer(options.server, "server")) };
  if (options.env !== undefined) {
    if (options.env === null || typeof options.env !== "object" || Array.isArray(options.env)) throw new EdgeKvError(`loadApp: env must be an object like { API_URL: "https://..." }, got ${Array.isArray(options.env) ? "an array" : options.env === null ? "null" : typeof options.env}`);
    for (const [name, value] of Object.entries(options.env)) {
      if (value !== undefined && typeof value !== "string") throw new EdgeKvError(`loadApp: env.${name} must be a string (or undefined to hide the variable), got ${typeof value}`);
    }
  }
  const geolocation = options.geolocation ?? defaultGeolocation();
  const geo = typeof geolocation === "function" ? lookupAsJson(geolocation, "loadApp: geolocation") : geolocationTable(geolocation, "loadApp: geolocation");
  return { origin, env: options.env === undefined ? undefined : { ...options.env }, client, server, geo, nextRequestId: start, onError: options.onError ?? defaultOnError };
}

const DEFAULT_CLIENT: ClientValues = {
  address: LOCAL_SERVER.clientAddress,
  tlsCipherOpensslName: null,
  tlsProtocol: null,
  tlsJA3MD5: null,
  tlsJA4: null,
  h2Fingerprint: null,
  ohFingerprint: null,
  tlsClientCertificate: null,
  tlsClientHello: null,
  tlsClientSNI: null,
};

const STRING_OR_NULL = ["address", "tlsCipherOpensslName", "tlsProtocol", "tlsJA3MD5", "tlsJA4", "h2Fingerprint", "ohFingerprint", "tlsClientSNI"] as const;
const BYTES_OR_NULL = ["tlsClientCertificate", "tlsClientHello"] as const;

const CLIENT_FIELDS = new Set<string>(["requestId", "geo", ...STRING_OR_NULL, ...BYTES_OR_NULL]);

/** Checks client overrides; returns them without undefined fields. */
function checkClient(client: ClientOverrides, where: string): ClientOverrides {
  if (client === null || typeof client !== "object") throw new EdgeKvError(`loadApp: ${where} must be an object like { address: "203.0.113.7" }, got ${client === null ? "null" : typeof client}`);
  let defined = true;
  for (const key in client) {
    const value = client[key as keyof ClientOverrides];
    if (!CLIENT_FIELDS.has(key)) throw new EdgeKvError(`loadApp: unknown ${where} field "${key}". Client fields are: ${[...CLIENT_FIELDS].join(", ")}`);
    if (value === undefined) {
      defined = false;
      continue;
    }
    if (key === "requestId") {
      if (typeof value !== "string" || value === "") throw new EdgeKvError(`loadApp: ${where}.requestId must be a non-empty string, got ${JSON.stringify(value)}`);
    } else if (key === "geo") {
      if (value !== null && (typeof value !== "object" || Array.isArray(value))) throw new EdgeKvError(`loadApp: ${where}.geo must be a geolocation object or null, got ${Array.isArray(value) ? "an array" : typeof value}`);
    } else if ((BYTES_OR_NULL as readonly string[]).includes(key)) {
      if (value !== null && !(value instanceof ArrayBuffer) && !ArrayBuffer.isView(value)) throw new EdgeKvError(`loadApp: ${where}.${key} must be an ArrayBuffer, a typed array or null, got ${typeof value}`);
    } else if (value !== null && typeof value !== "string") {
      throw new EdgeKvError(`loadApp: ${where}.${key} must be a string or null, got ${typeof value}`);
    }
  }
  return defined ? client : (Object.fromEntries(Object.entries(client).filter(([, value]) => value !== undefined)) as ClientOverrides);
}

function checkServer(server: ServerOverrides, where: string): ServerOverrides {
  if (server === null || typeof server !== "object") throw new EdgeKvError(`loadApp: ${where} must be an object like { address: "127.0.0.1" }, got ${server === null ? "null" : typeof server}`);
  for (const [key, value] of Object.entries(server)) {
    if (key !== "address") throw new EdgeKvError(`loadApp: unknown ${where} field "${key}". The server has one field: address`);
    if (value !== undefined && typeof value !== "string") throw new EdgeKvError(`loadApp: ${where}.address must be a string, got ${typeof value}`);
  }
  return server.address === undefined ? {} : { address: server.address };
}
