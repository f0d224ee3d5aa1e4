/**
 * One request's way through an app's listeners, following the runtime's state machine
 * (js-compute-runtime fetch-event.cpp; shared/reference/compute-app-host.md §1): `unhandled` until a
 * listener calls respondWith, then `waitToRespond` until its promise settles — then `done` (a Response
 * sent), `streaming` while a body the app writes as a stream is being sent, or `respondedWithError`
 * (the runtime's 500: empty body, no headers).
 *
 * The event is active — `waitUntil` accepted — while the listeners are being called, a
 * respondWith/waitUntil promise is pending, or a body streams. The request is over when all of that,
 * the listeners' own promises and the sending of the response have settled: then `hooks.done()`.
 */
import { EdgeKvError } from "../errors.js";
import { bodyKind } from "./body.js";
import {
  newClientInfo,
  newFetchEvent,
  newServerInfo,
  type AppErrorInfo,
  type AppErrorKind,
  type ClientInfo,
  type ClientValues,
  type EventBackend,
  type FetchEvent,
  type FetchListener,
  type GeoLookup,
  type ServerInfo,
  type ServerValues,
} from "./fetch-event.js";
import { HostMessages, RuntimeLog } from "./messages.js";

/** The request the app is given: a Request, or how to make one when the app first asks for it (`edge-kv dev`). */
export type RequestSource = Request | LazyRequest;

export interface LazyRequest {
  readonly method: string;
  readonly url: string;
  create(): Request;
}

/** What the host does for a request: report its errors, run code in its scope, send its response, hear its end. */
export interface LifecycleHooks {
  report(error: unknown, info: AppErrorInfo): void;
  /** Runs `fn` as part of this request (in its scope). */
  run<R>(fn: () => R): R;
  /**
   * Sends the response; `streamed`: its body is a stream the app writes (the event stays active until
   * it is sent). A promise returned keeps the request going until it settles (the body being sent).
   */
  deliver(response: Response, streamed: boolean): PromiseLike<unknown> | void;
  /** Everything of this request has settled; called once. */
  done(): void;
}

type EventState = "unhandled" | "waitToRespond" | "done" | "streaming" | "respondedWithError";

const EMPTY_500_INIT: ResponseInit = { status: 500 };

export class FetchEventLifecycle implements EventBackend {
  readonly event: FetchEvent;
  #source: RequestSource;
  #request: Request | undefined;
  #clientValues: ClientValues;
  #requestId: string;
  #serverValues: ServerValues;
  #geo: GeoLookup;
  #client: ClientInfo | undefined;
  #server: ServerInfo | undefined;
  #hooks: LifecycleHooks;
  #state: EventState = "unhandled";
  #dispatching = false;
  #dispatched = false;
  #finished = false;
  /** respondWith and waitUntil promises not settled yet: the event is active while > 0. */
  #pending = 0;
  /** Promises returned by async listeners, not settled yet (awaited before the runtime's 500). */
  #listenerPromises = 0;
  /** The response is being sent (hooks.deliver's promise). */
  #delivering = false;
  /** An error that explains the 500 was reported (else "no-response" is). */
  #explained = false;

  /** `client` without its requestId, or with this one: `requestId` is the request's (event.client.requestId). */
  constructor(request: RequestSource, client: ClientValues, requestId: string, server: ServerValues, geo: GeoLookup, hooks: LifecycleHooks) {
    this.#source = request;
    if (request instanceof Request) this.#request = request;
    this.#clientValues = client;
    this.#requestId = requestId;
    this.#serverValues = server;
    this.#geo = geo;
    this.#hooks = hooks;
    this.event = newFetchEvent(this);
  }

  get request(): Request {
    return (this.#request ??= (this.#source as LazyRequest).create());
  }

  client(): ClientInfo {
    if (this.#client !== undefined) return this.#client;
    const values = this.#clientValues;
    return (this.#client = newClientInfo(values.requestId === this.#requestId ? values : { ...values, requestId: this.#requestId }, this.#geo));
  }

  server(): ServerInfo {
    return (this.#server ??= newServerInfo(this.#serverValues));
  }

  /** Calls the listeners in order (this = globalThis) until one responds or throws. */
  dispatch(listeners: readonly FetchListener[]): void {
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
    this.#advance();
  }

  respondWith(promise: Promise<unknown>): void {
    if (!this.#dispatching) throw new Error(HostMessages.respondWithNotSync);
    if (this.#state !== "unhandled" && this.#state !== "waitToRespond") throw new Error("FetchEvent#respondWith can't be called twice on the same event");
    this.#state = "waitToRespond";
    // A second call in the same listener is not refused: the first promise to settle answers.
    this.#pending++;
    // One reaction, as #follow makes, without its closures: this runs once per request.
    promise.then(
      (value) => this.#responseSettled(true, value),
      (error: unknown) => this.#responseSettled(false, error),
    );
  }

  /** respondWith's promise settled: send its Response (or the runtime's 500); then as #follow's `finish`. */
  #responseSettled(fulfilled: boolean, value: unknown): void {
    try {
      if (!fulfilled) {
        this.#report(value, "response-rejected", `${RuntimeLog.responseRejected} the promise passed to event.respondWith() rejected; the runtime answers 500`);
        if (this.#state === "waitToRespond") this.#respondWithError();
      } else if (this.#state === "waitToRespond") {
        if (value instanceof Response) {
          this.#send(value);
        } else {
          this.#report(new Error(HostMessages.respondWithNotResponse), "not-a-response", `${HostMessages.respondWithNotResponse} (got ${describeValue(value)}); the runtime answers 500`);
          this.#respondWithError();
        }
      }
    } finally {
      this.#pending--;
      this.#advance();
    }
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
    return this.#dispatching || this.#pending > 0 || this.#state === "streaming";
  }

  /**
   * Reacts to `promise` (one reaction, no derived promise to track): `onFulfilled` / `onRejected`, then
   * `settle` (after which it no longer counts as pending), then the runtime's 500 if nothing answered.
   */
  #follow(promise: PromiseLike<unknown>, onFulfilled: ((value: unknown) => void) | undefined, onRejected: (error: unknown) => void, settle: () => void): void {
    const finish = () => {
      settle();
      this.#advance();
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

  /** Something of this request settled: the runtime's 500 if no one will respond, then the end if nothing is left. */
  #advance(): void {
    this.#maybeRespondWithError();
    this.#maybeFinish();
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
    this.#deliver(new Response(null, EMPTY_500_INIT), false);
  }

  #send(response: Response): void {
    const streamed = bodyKind(response) === "stream";
    this.#state = streamed ? "streaming" : "done";
    this.#deliver(response, streamed);
  }

  #deliver(response: Response, streamed: boolean): void {
    let sending: PromiseLike<unknown> | void;
    try {
      sending = this.#hooks.deliver(response, streamed);
    } catch (error) {
      sending = Promise.reject(error);
    }
    if (!isThenable(sending)) {
      if (this.#state === "streaming") this.#state = "done";
      return;
    }
    this.#delivering = true;
    const sent = () => {
      this.#delivering = false;
      if (this.#state === "streaming") this.#state = "done";
      this.#maybeFinish();
    };
    sending.then(sent, (error: unknown) => {
      this.#report(error, "response-rejected", "edge-kv could not send the response");
      sent();
    });
  }

  #maybeFinish(): void {
    if (this.#finished || !this.#dispatched || this.#state === "unhandled" || this.#pending > 0 || this.#listenerPromises > 0 || this.#delivering) return;
    this.#finished = true;
    this.#hooks.done();
  }

  #report(error: unknown, kind: AppErrorKind, message: string): void {
    if (kind !== "wait-until-rejected") this.#explained = true;
    const source = this.#source;
    this.#hooks.report(error, { kind, message, requestId: this.#requestId, method: source.method, url: source.url });
  }
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
