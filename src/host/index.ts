/**
 * `edge-kv/host`: runs a Compute app — `addEventListener("fetch", (event) => event.respondWith(...))`
 * — in-process (web-standard: Node, browsers, edge runtimes).
 *
 *   const app = await loadApp("./src/index.ts");   // under Vitest with edgeKv(), or any loader that resolves fastly:*
 *   const response = await app.fetch("/login", { method: "POST", body, client: { address: "203.0.113.7" } });
 *   await app.settled();                            // every waitUntil done
 *
 * `edge-kv dev` serves the same `fetch` over HTTP. See docs/app-host.md.
 */
import { loadAppWith, type App, type AppModuleLoader, type LoadAppOptions } from "./app.js";

export { defaultOnError, entryUrl } from "./app.js";
export type { App, AppModuleLoader, AppRequestInit, ClientOverrides, LoadAppOptions, ServerOverrides } from "./app.js";

/**
 * Loads a Compute app — a path (relative to the working directory), a URL, or a function that imports
 * the module — with its `addEventListener("fetch", ...)` calls captured, and returns `{ fetch, settled,
 * close }`. The import() is in this file on purpose: the edgeKv() Vitest plugin inlines it, so the app
 * goes through Vitest's module runner (TypeScript, fastly:*) even from an installed package.
 */
export function loadApp(entry: string | URL | AppModuleLoader, options?: LoadAppOptions): Promise<App> {
  return loadAppWith((specifier) => import(/* @vite-ignore */ specifier), entry, options);
}
export type { AppErrorInfo, AppErrorKind, ClientInfo, ClientValues, FetchEvent, ServerInfo, ServerValues } from "./fetch-event.js";
export { currentRequest, requestScopeSurvivesAwait } from "./context.js";
export type { HostScope, RequestScope } from "./context.js";
export { HostMessages, LOCAL_SERVER, RuntimeLog, VICEROY_LOOPBACK_GEO, formatRequestId } from "./messages.js";
