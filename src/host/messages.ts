/**
 * What the Compute JavaScript runtime says about fetch events, verbatim (js-compute-runtime
 * `runtime/fastly/builtins/fetch-event.cpp` and `handler.cpp`; shared/reference/compute-app-host.md §1),
 * and the values Fastly's local server (Viceroy) gives a request. Tests import these tables.
 */
export { Messages } from "../messages.js";

export const HostMessages = {
  /** Plain Error: respondWith called after the listener returned (after an await, in a then, a timer...). */
  respondWithNotSync: "FetchEvent#respondWith must be called synchronously from within a FetchEvent handler",
  /** The response promise settled to something that is not a Response (the runtime answers 500, prints nothing). */
  respondWithNotResponse:
    "FetchEvent#respondWith must be called with a Response object or a Promise resolving to a Response object as the first argument",
  /** Plain Error: waitUntil once the event is no longer active. */
  waitUntilInactive: "FetchEvent#waitUntil called on inactive event",
  sendEarlyHintsAfterResponse: "FetchEvent#sendEarlyHints can't be called after the main response has been sent",
  /** The runtime writes this and exits (at build time the build fails). */
  onlyFetchEvent: (name: string) => `addEventListener only supports the event 'fetch' right now, but got event '${name}'`,
  listenerNotFunction: "addEventListener: Argument 2 is not a function.",
  /** TypeError from a `BuiltinNoConstructor` class (FetchEvent, ClientInfo, ServerInfo). */
  notConstructible: (className: string) => `${className} builtin can't be instantiated directly`,
} as const;

/** The runtime's stderr line for each way a request can fail (handler.cpp / fetch-event.cpp, 3.46.0). */
export const RuntimeLog = {
  /** A listener threw (printed with the engine's error report). */
  listenerThrew: "Exception while dispatching FetchEvent",
  /** The respondWith promise rejected (the runtime prints only this line unless debug logging is on). */
  responseRejected: "Error while running request handler:",
} as const;

/** Viceroy's default geolocation record for loopback clients (src/config/geolocation.rs; keys in serde_json's sorted order). */
export const VICEROY_LOOPBACK_GEO = Object.freeze({
  area_code: 415,
  as_name: "Fastly, Inc",
  as_number: 54113,
  city: "San Francisco",
  conn_speed: "broadband",
  conn_type: "wired",
  continent: "NA",
  country_code: "US",
  country_code3: "USA",
  country_name: "United States of America",
  latitude: 37.77869,
  longitude: -122.39557,
  metro_code: 0,
  postal_code: "94107",
  proxy_description: "?",
  proxy_type: "?",
  region: "CA",
  utc_offset: -700,
});

/** Viceroy's defaults: the address it listens on and the client address of a local request. */
export const LOCAL_SERVER = Object.freeze({
  host: "127.0.0.1",
  port: 7676,
  origin: "http://127.0.0.1:7676",
  clientAddress: "127.0.0.1",
  serverAddress: "127.0.0.1",
});

/** `{:032x}` of a request counter, as Viceroy formats request ids and FASTLY_TRACE_ID. */
export function formatRequestId(counter: number): string {
  return counter.toString(16).padStart(32, "0");
}
