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
 *   the event is active (dispatching, or a respondWith/waitUntil promise is pending).
 *
 * The lifecycle of one request — which response goes out, when the runtime's 500 does, what is
 * reported — is `FetchEventLifecycle` below; the app host (app.ts) only calls `dispatch`.
 */
import { EdgeKvError } from "../errors.js";
import { HostMessages, Messages, RuntimeLog } from "./messages.js";

/** Per-request client values; `null` where the host has none (as on Viceroy for every TLS field). */
export interface ClientValues {
  /** Default: `{:032x}` of the app's request counter. */
  requestId?: string;
  address: string | null;
  /** Geolocation record; `undefined`: Viceroy's default record for a loopback address, else null. */
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

/** Receives a request's errors, and hears when work it leaves running starts and ends (for `settled()`). */
export interface LifecycleHooks {
  report(error: unknown, info: AppErrorInfo): void;
  begin(): void;
  end(): void;
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

const LOOPBACK_V4 = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Rust's `IpAddr::is_loopback`: 127.0.0.0/8 and ::1 (an IPv4-mapped ::ffff:127.x address is not). */
export function isLoopback(address: string | null): boolean {
  if (address === null) return false;
  return LOOPBACK_V4.test(address) || address === "::1" || /^(?:0{1,4}:){7}0{0,3}1$/.test(address);
}

export class ClientInfo {
  #values: ClientValues;
  #geoJson: string | null | undefined;
  #buffers: { tlsClientCertificate?: ArrayBuffer | null; tlsClientHello?: ArrayBuffer | null } = {};

  /** @internal */
  constructor(token: typeof CONSTRUCT, values: ClientValues, loopbackGeo: Record<string, unknown>) {
    if (token !== CONSTRUCT) throw notConstructible("ClientInfo");
    this.#values = values;
    const geo = values.geo === undefined ? (isLoopback(values.address) ? loopbackGeo : null) : values.geo;
    this.#geoJson = geo === null ? null : JSON.stringify(geo);
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
  /** A new object on every access, as the runtime parses the host's JSON each time. */
  get geo(): Record<string, unknown> | null {
    const json = ClientInfo.#of(this, "geo_get").#geoJson;
    return json == null ? null : (JSON.parse(json) as Record<string, unknown>);
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

type EventState = "unhandled" | "waitToRespond" | "done" | "respondedWithError";

export class FetchEvent {
  #lifecycle: FetchEventLifecycle;

  /** @internal */
  constructor(token: typeof CONSTRUCT, lifecycle: FetchEventLifecycle) {
    if (token !== CONSTRUCT) throw notConstructible("FetchEvent");
    this.#lifecycle = lifecycle;
  }

  static #of(value: unknown, method: string): FetchEventLifecycle {
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

const EMPTY_500_INIT: ResponseInit = { status: 500 };

/**
 * One request's way through the listeners, following the runtime's state machine: `unhandled` until a
 * listener calls respondWith, then `waitToRespond` until its promise settles: `done` (a Response), or
 * `respondedWithError` (the runtime's 500: empty body, no headers).
 */
export class FetchEventLifecycle {
  readonly request: Request;
  readonly event: FetchEvent;
  #clientValues: ClientValues;
  #serverValues: ServerValues;
  #loopbackGeo: Record<string, unknown>;
  #client: ClientInfo | undefined;
  #server: ServerInfo | undefined;
  #hooks: LifecycleHooks;
  #state: EventState = "unhandled";
  #dispatching = false;
  #dispatched = false;
  /** respondWith and waitUntil promises not settled yet: the event is active while > 0. */
  #pending = 0;
  /** Promises returned by async listeners, not settled yet (awaited before the runtime's 500). */
  #listenerPromises = 0;
  /** An error that explains the 500 was reported (else "no-response" is). */
  #explained = false;
  #resolve!: (response: Response) => void;
  readonly response: Promise<Response>;

  constructor(request: Request, client: ClientValues, server: ServerValues, loopbackGeo: Record<string, unknown>, hooks: LifecycleHooks) {
    this.request = request;
    this.#clientValues = client;
    this.#serverValues = server;
    this.#loopbackGeo = loopbackGeo;
    this.#hooks = hooks;
    this.response = new Promise<Response>((resolve) => (this.#resolve = resolve));
    this.event = new FetchEvent(CONSTRUCT, this);
  }

  client(): ClientInfo {
    return (this.#client ??= new ClientInfo(CONSTRUCT, this.#clientValues, this.#loopbackGeo));
  }

  server(): ServerInfo {
    return (this.#server ??= new ServerInfo(CONSTRUCT, this.#serverValues));
  }

  /** Calls the listeners in order (this = globalThis) until one responds or throws; resolves `response`. */
  dispatch(listeners: readonly FetchListener[]): Promise<Response> {
    this.#dispatching = true;
    for (const listener of listeners) {
      let returned: unknown;
      try {
        returned = listener.call(globalThis, this.event);
      } catch (error) {
        this.#report(error, "listener-threw", RuntimeLog.listenerThrew);
        break;
      }
      if (isThenable(returned)) this.#watchListenerPromise(returned);
      if (this.#state !== "unhandled") break;
    }
    this.#dispatching = false;
    this.#dispatched = true;
    this.#maybeRespondWithError();
    return this.response;
  }

  respondWith(promise: Promise<unknown>): void {
    if (!this.#dispatching) throw new Error(HostMessages.respondWithNotSync);
    if (this.#state !== "unhandled" && this.#state !== "waitToRespond") throw new Error("FetchEvent#respondWith can't be called twice on the same event");
    this.#state = "waitToRespond";
    // A second call in the same listener is not refused: the first promise to settle answers.
    this.#pending++;
    this.#follow(
      promise,
      (value) => {
        if (this.#state !== "waitToRespond") return;
        if (value instanceof Response) {
          this.#state = "done";
          this.#resolve(value);
        } else {
          this.#report(new Error(HostMessages.respondWithNotResponse), "not-a-response", `${HostMessages.respondWithNotResponse} (got ${describeValue(value)}); the runtime answers 500`);
          this.#respondWithError();
        }
      },
      (error) => {
        this.#report(error, "response-rejected", `${RuntimeLog.responseRejected} the promise passed to event.respondWith() rejected; the runtime answers 500`);
        if (this.#state === "waitToRespond") this.#respondWithError();
      },
      () => this.#pending--,
    );
  }

  waitUntil(promise: Promise<unknown>): void {
    if (!this.#isActive()) throw new Error(HostMessages.waitUntilInactive);
    this.#pending++;
    this.#follow(
      promise,
      undefined,
      (error) => this.#report(error, "wait-until-rejected", "A promise passed to event.waitUntil() rejected (the runtime ignores it)"),
      () => this.#pending--,
    );
  }

  sendEarlyHints(headers: HeadersInit): void {
    if (this.#state !== "unhandled" && this.#state !== "waitToRespond") throw new Error(HostMessages.sendEarlyHintsAfterResponse);
    new Headers(headers);
  }

  #isActive(): boolean {
    return this.#dispatching || this.#pending > 0;
  }

  /**
   * Reacts to `promise` (one reaction, no derived promise to track): `onFulfilled` / `onRejected`, then
   * `settle` (after which it no longer counts as pending), then the runtime's 500 if nothing answered.
   */
  #follow(promise: PromiseLike<unknown>, onFulfilled: ((value: unknown) => void) | undefined, onRejected: (error: unknown) => void, settle: () => void): void {
    this.#hooks.begin();
    const finish = () => {
      settle();
      this.#maybeRespondWithError();
      this.#hooks.end();
    };
    promise.then(
      (value) => {
        try {
          onFulfilled?.(value);
        } finally {
          finish();
        }
      },
      (error: unknown) => {
        try {
          onRejected(error);
        } finally {
          finish();
        }
      },
    );
  }

  #watchListenerPromise(promise: PromiseLike<unknown>): void {
    this.#listenerPromises++;
    this.#follow(
      promise,
      undefined,
      (error) => this.#report(error, "listener-rejected", "A fetch listener's promise rejected (the runtime ignores the promise a listener returns)"),
      () => this.#listenerPromises--,
    );
  }

  /** No listener responded: once nothing of this request is pending any more, the runtime sends its 500. */
  #maybeRespondWithError(): void {
    if (!this.#dispatched || this.#state !== "unhandled" || this.#pending > 0 || this.#listenerPromises > 0) return;
    if (!this.#explained) {
      this.#report(
        new EdgeKvError("no fetch listener called event.respondWith() while it ran (synchronously), so the runtime answers 500"),
        "no-response",
        "The fetch event was not answered",
      );
    }
    this.#respondWithError();
  }

  #respondWithError(): void {
    this.#state = "respondedWithError";
    this.#resolve(new Response(null, EMPTY_500_INIT));
  }

  #report(error: unknown, kind: AppErrorKind, message: string): void {
    if (kind !== "wait-until-rejected") this.#explained = true;
    this.#hooks.report(error, { kind, message, requestId: this.#clientValues.requestId ?? "", method: this.request.method, url: this.request.url });
  }
}

/** Creates the event for one request (its lifecycle resolves the response). */
export function createFetchEvent(
  request: Request,
  client: ClientValues,
  server: ServerValues,
  loopbackGeo: Record<string, unknown>,
  hooks: LifecycleHooks,
): FetchEventLifecycle {
  return new FetchEventLifecycle(request, client, server, loopbackGeo, hooks);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return `an object (${(value as object).constructor?.name ?? "no prototype"})`;
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}
