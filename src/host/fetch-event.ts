/**
 * `FetchEvent`, `ClientInfo` and `ServerInfo` as the Compute JavaScript runtime builds them
 * (js-compute-runtime `fetch-event.cpp`; shared/reference/compute-app-host.md §1):
 *
 * - prototypes hold enumerable getters (`client`, `request`, `server`; every ClientInfo field) and
 *   enumerable methods (`respondWith`, `waitUntil`, `sendEarlyHints`, length 1); a getter or method
 *   called on anything else throws the runtime's TypeError naming its C++ function;
 * - `client`, `server`, `request` and every ClientInfo value are the same object on every access,
 *   except `geo`, which is parsed again (a new object) each time;
 * - `respondWith` works only while the listeners are being called (synchronously); `waitUntil` while
 *   the event is active (dispatching, a respondWith/waitUntil promise is pending, or a body streams).
 *
 * The lifecycle of one request — which response goes out, when the runtime's 500 does, what is
 * reported — is `FetchEventLifecycle` in lifecycle.ts.
 */
import { geoRecord } from "./geolocation.js";
import { HostMessages, Messages } from "./messages.js";

/** Per-request client values; `null` where the host has none (as on Viceroy for every TLS field). */
export interface ClientValues {
  /** Default: `{:032x}` of the app's request counter. */
  requestId?: string;
  address: string | null;
  /** Geolocation record; `undefined`: the app's geolocation lookup (Viceroy: the default record for a loopback address, else null). */
  geo?: Record<string, unknown> | null;
  tlsCipherOpensslName: string | null;
  tlsProtocol: string | null;
  tlsJA3MD5: string | null;
  tlsJA4: string | null;
  h2Fingerprint: string | null;
  ohFingerprint: string | null;
  tlsClientCertificate: ArrayBuffer | ArrayBufferView | null;
  tlsClientHello: ArrayBuffer | ArrayBufferView | null;
  tlsClientSNI: string | null;
}

export interface ServerValues {
  address: string;
}

/** What went wrong in a request, for `onError`. */
export type AppErrorKind =
  | "listener-threw" // a listener threw: the runtime prints it; 500 unless respondWith was called first
  | "listener-rejected" // an async listener's promise rejected (the runtime ignores the promise)
  | "response-rejected" // the respondWith promise rejected: 500
  | "not-a-response" // the respondWith promise settled to something other than a Response: 500
  | "no-response" // no listener called respondWith: 500
  | "wait-until-rejected"; // a waitUntil promise rejected (the runtime ignores it)

export interface AppErrorInfo {
  kind: AppErrorKind;
  /** One line saying what happened; for the runtime's own cases it starts with the runtime's stderr text. */
  message: string;
  requestId: string;
  method: string;
  url: string;
}

/** A function passed to addEventListener("fetch", ...). */
export type FetchListener = (this: typeof globalThis, event: FetchEvent) => unknown;

const CONSTRUCT = Symbol("edge-kv.host.construct");
const resolvePromise = Promise.resolve.bind(Promise) as <T>(value: T) => Promise<Awaited<T>>;

function notConstructible(className: string): TypeError {
  return new TypeError(HostMessages.notConstructible(className));
}

function wrongReceiver(method: string, className: string): TypeError {
  return new TypeError(Messages.wrongReceiver(method, className));
}

function requireArguments(method: string, required: number, passed: number): void {
  if (passed < required) throw new TypeError(Messages.notEnoughArguments(method, required, passed));
}

/** Makes the listed prototype members enumerable, keeping their order (the runtime's JSPROP_ENUMERATE). */
function enumerable(prototype: object, keys: string[]): void {
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(prototype, key)!;
    Object.defineProperty(prototype, key, { ...descriptor, enumerable: true });
  }
}

function copyBuffer(value: ArrayBuffer | ArrayBufferView): ArrayBuffer {
  const view = ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
  return view.slice().buffer;
}

/** The host's geolocation lookup: JSON text of the record for a client address (null: none). */
export type GeoLookup = (address: string | null) => string | null;

export class ClientInfo {
  #values: ClientValues;
  #geo: () => string | null;
  #buffers: { tlsClientCertificate?: ArrayBuffer | null; tlsClientHello?: ArrayBuffer | null } = {};

  /** @internal */
  constructor(token: typeof CONSTRUCT, values: ClientValues, lookup: GeoLookup) {
    if (token !== CONSTRUCT) throw notConstructible("ClientInfo");
    this.#values = values;
    if (values.geo === undefined) {
      this.#geo = () => lookup(values.address);
    } else {
      const json = values.geo === null ? null : JSON.stringify(values.geo);
      this.#geo = () => json;
    }
  }

  static #of(value: unknown, method: string): ClientInfo {
    if (typeof value !== "object" || value === null || !(#values in value)) throw wrongReceiver(method, "ClientInfo");
    return value as ClientInfo;
  }

  get requestId(): string | null {
    return ClientInfo.#of(this, "request_id_get").#values.requestId ?? null;
  }
  get address(): string | null {
    return ClientInfo.#of(this, "address_get").#values.address;
  }
  /** Looked up on every access, a new object each time: the runtime asks the host and parses its JSON each time. */
  get geo(): Record<string, unknown> | null {
    return geoRecord(ClientInfo.#of(this, "geo_get").#geo());
  }
  get tlsCipherOpensslName(): string | null {
    return ClientInfo.#of(this, "tls_cipher_openssl_name_get").#values.tlsCipherOpensslName;
  }
  get tlsProtocol(): string | null {
    return ClientInfo.#of(this, "tls_protocol_get").#values.tlsProtocol;
  }
  get tlsJA3MD5(): string | null {
    return ClientInfo.#of(this, "tls_ja3_md5_get").#values.tlsJA3MD5;
  }
  get tlsJA4(): string | null {
    return ClientInfo.#of(this, "tls_ja4_get").#values.tlsJA4;
  }
  get h2Fingerprint(): string | null {
    return ClientInfo.#of(this, "h2_fingerprint_get").#values.h2Fingerprint;
  }
  get ohFingerprint(): string | null {
    return ClientInfo.#of(this, "oh_fingerprint_get").#values.ohFingerprint;
  }
  get tlsClientCertificate(): ArrayBuffer | null {
    return ClientInfo.#of(this, "tls_client_certificate_get").#buffer("tlsClientCertificate");
  }
  get tlsClientHello(): ArrayBuffer | null {
    return ClientInfo.#of(this, "tls_client_hello_get").#buffer("tlsClientHello");
  }
  get tlsClientSNI(): string | null {
    return ClientInfo.#of(this, "tls_client_sni_get").#values.tlsClientSNI;
  }

  /** The same ArrayBuffer on every access (the runtime caches it in a slot). */
  #buffer(name: "tlsClientCertificate" | "tlsClientHello"): ArrayBuffer | null {
    if (!(name in this.#buffers)) {
      const value = this.#values[name];
      this.#buffers[name] = value === null ? null : copyBuffer(value);
    }
    return this.#buffers[name]!;
  }
}
enumerable(ClientInfo.prototype, [
  "requestId",
  "address",
  "geo",
  "tlsCipherOpensslName",
  "tlsProtocol",
  "tlsJA3MD5",
  "tlsJA4",
  "h2Fingerprint",
  "ohFingerprint",
  "tlsClientCertificate",
  "tlsClientHello",
  "tlsClientSNI",
]);

export class ServerInfo {
  #address: string;

  /** @internal */
  constructor(token: typeof CONSTRUCT, values: ServerValues) {
    if (token !== CONSTRUCT) throw notConstructible("ServerInfo");
    this.#address = values.address;
  }

  get address(): string {
    if (typeof this !== "object" || this === null || !(#address in this)) throw wrongReceiver("address_get", "ServerInfo");
    return this.#address;
  }
}
enumerable(ServerInfo.prototype, ["address"]);

export class FetchEvent {
  #lifecycle: EventBackend;

  /** @internal */
  constructor(token: typeof CONSTRUCT, lifecycle: EventBackend) {
    if (token !== CONSTRUCT) throw notConstructible("FetchEvent");
    this.#lifecycle = lifecycle;
  }

  static #of(value: unknown, method: string): EventBackend {
    if (typeof value !== "object" || value === null || !(#lifecycle in value)) throw wrongReceiver(method, "FetchEvent");
    return (value as FetchEvent).#lifecycle;
  }

  get client(): ClientInfo {
    return FetchEvent.#of(this, "client_get").client();
  }
  get request(): Request {
    return FetchEvent.#of(this, "request_get").request;
  }
  get server(): ServerInfo {
    return FetchEvent.#of(this, "server_get").server();
  }

  respondWith(response: Response | PromiseLike<Response>): void {
    const lifecycle = FetchEvent.#of(this, "respondWith");
    requireArguments("respondWith", 1, arguments.length);
    lifecycle.respondWith(resolvePromise(response));
  }

  waitUntil(promise: Promise<unknown>): void {
    const lifecycle = FetchEvent.#of(this, "waitUntil");
    requireArguments("waitUntil", 1, arguments.length);
    lifecycle.waitUntil(resolvePromise(promise));
  }

  /** Checks the headers as the runtime does; the 103 itself goes nowhere (Viceroy drops it with a warning). */
  sendEarlyHints(headers: HeadersInit): void {
    const lifecycle = FetchEvent.#of(this, "sendEarlyHints");
    requireArguments("sendEarlyHints", 1, arguments.length);
    lifecycle.sendEarlyHints(headers);
  }
}
enumerable(FetchEvent.prototype, ["client", "request", "server", "respondWith", "waitUntil", "sendEarlyHints"]);

/** What a FetchEvent asks of the request it belongs to (the lifecycle, lifecycle.ts). */
export interface EventBackend {
  readonly request: Request;
  client(): ClientInfo;
  server(): ServerInfo;
  respondWith(promise: Promise<unknown>): void;
  waitUntil(promise: Promise<unknown>): void;
  sendEarlyHints(headers: HeadersInit): void;
}

/** The event of one request (only the host makes them, as only the runtime does). */
export function newFetchEvent(backend: EventBackend): FetchEvent {
  return new FetchEvent(CONSTRUCT, backend);
}

export function newClientInfo(values: ClientValues, lookup: GeoLookup): ClientInfo {
  return new ClientInfo(CONSTRUCT, values, lookup);
}

export function newServerInfo(values: ServerValues): ServerInfo {
  return new ServerInfo(CONSTRUCT, values);
}
