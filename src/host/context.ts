/**
 * The request an app is handling right now, across its awaits: the app host runs each request (and the
 * evaluation of an app's top level) in a scope so that whatever the app calls later — a store operation
 * that logs its request id, `fastly:env` reading FASTLY_TRACE_ID, a store constructor refusing to run
 * during initialization — can ask where it runs.
 *
 * Web-standard: Node's AsyncLocalStorage is used when the runtime offers it through
 * `process.getBuiltinModule` (Node ≥ 20.16, Deno, Bun) — no `node:` import. Elsewhere (browsers) the
 * scope covers only the synchronous part of a request (the listener call); after an await,
 * `currentRequest()` is undefined.
 *
 * One context per process: it lives on globalThis, so two copies of edge-kv (dist and src) agree.
 */

import type { KVRegistry } from "../registry.js";

/** What the host knows about the code running now: an app's top level being evaluated, or a request. */
export interface HostScope {
  /** "init": loadApp is evaluating the app's entry module (Compute's build-time initialization); "request": a request is handled. */
  readonly phase: "init" | "request";
  /** The app's `env` option, and FASTLY_TRACE_ID during a request. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The registry of the app, when it was loaded with its own (`loadApp(entry, { registry })`). */
  readonly registry?: KVRegistry;
}

/** What the host knows about the request being handled. */
export interface RequestScope extends HostScope {
  readonly phase: "request";
  /** `event.client.requestId`: 32 lowercase hex digits. */
  readonly requestId: string;
  /** FASTLY_TRACE_ID for this request (Viceroy: the id of the sandbox's first request, one sandbox per request). */
  readonly traceId: string;
}

interface AsyncContext<T> {
  run<R>(value: T, fn: () => R): R;
  get(): T | undefined;
  /** Whether the value survives awaits (AsyncLocalStorage) or covers synchronous code only. */
  readonly async: boolean;
}

interface AsyncLocalStorageLike<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
}

type BuiltinModuleGetter = (id: string) => { AsyncLocalStorage?: new <T>() => AsyncLocalStorageLike<T> } | undefined;

function createContext<T>(): AsyncContext<T> {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: BuiltinModuleGetter } }).process?.getBuiltinModule;
  const Storage = typeof getBuiltinModule === "function" ? getBuiltinModule("node:async_hooks")?.AsyncLocalStorage : undefined;
  if (Storage) {
    const storage = new Storage<T>();
    return { run: (value, fn) => storage.run(value, fn), get: () => storage.getStore(), async: true };
  }
  let current: T | undefined;
  return {
    run(value, fn) {
      const previous = current;
      current = value;
      try {
        return fn();
      } finally {
        current = previous;
      }
    },
    get: () => current,
    async: false,
  };
}

const KEY = Symbol.for("edge-kv.host.request-context");
const holder = globalThis as { [KEY]?: AsyncContext<HostScope> };
const context: AsyncContext<HostScope> = (holder[KEY] ??= createContext<HostScope>());

/** Runs `fn` in `scope` (a request, or an app's evaluation); promises it starts keep the scope where the runtime allows it. */
export function runInScope<R>(scope: HostScope, fn: () => R): R {
  return context.run(scope, fn);
}

/** The scope of the code running now, if a host runs it. */
export function currentScope(): HostScope | undefined {
  return context.get();
}

/** The request being handled by an app loaded with loadApp (or served by `edge-kv dev`), if any. */
export function currentRequest(): RequestScope | undefined {
  const scope = context.get();
  return scope?.phase === "request" ? (scope as RequestScope) : undefined;
}

/** Whether currentRequest() still answers after an await (true where AsyncLocalStorage is available). */
export function requestScopeSurvivesAwait(): boolean {
  return context.async;
}
