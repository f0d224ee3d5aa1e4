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
export { loadApp, defaultOnError, entryUrl } from "./app.js";
export type { App, AppModuleLoader, AppRequestInit, ClientOverrides, LoadAppOptions, ServerOverrides } from "./app.js";
export type { AppErrorInfo, AppErrorKind, ClientInfo, ClientValues, FetchEvent, ServerInfo, ServerValues } from "./fetch-event.js";
export { currentRequest, requestScopeSurvivesAwait } from "./context.js";
export type { RequestScope } from "./context.js";
export { HostMessages, LOCAL_SERVER, RuntimeLog, VICEROY_LOOPBACK_GEO, formatRequestId } from "./messages.js";
