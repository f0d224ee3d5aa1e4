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
 * The solo rule (what `edge-kv dev` turns on with `useSoloRequests()`): on Node 20 an enabled
 * AsyncLocalStorage installs promise hooks that tax every promise of the process. While at most one
 * scope is open, the code it runs needs no storage to be told apart: the scope is kept in a plain
 * variable, the storage stays disabled (no hooks), and a lookup reads `storage.getStore() ?? solo`.
 * Every scope opened while another is open runs inside `storage.run(...)`; the solo scope's own code,
 * started while the storage was off, carries no store, so it keeps resolving to the solo scope, never to
 * another's. When the last scope closes the storage is disabled again. What the rule gives up: code that
 * belongs to no open scope (a test's own code, work an app leaves running after its request ended,
 * which Compute would cut off) is taken for the solo request while one runs. So it is only for a
 * process that runs nothing but apps: the dev server, which opens a scope of its own ("no request")
 * around the explorer's requests.
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

/** An open scope: `run` calls code in it (now, or later from a callback); `close` ends it (once). */
export interface OpenScope {
  run<R>(fn: () => R): R;
  close(): void;
}

interface AsyncLocalStorageLike<T> {
  run<R>(store: T, fn: () => R): R;
  getStore(): T | undefined;
  disable(): void;
}

type BuiltinModuleGetter = (id: string) => { AsyncLocalStorage?: new <T>() => AsyncLocalStorageLike<T> } | undefined;

/** Code that is explicitly outside any scope (the dev server's own requests) while scopes are open. */
const OUTSIDE: HostScope = Object.freeze({ phase: "request" }) as HostScope;

interface ContextState {
  /** Node's AsyncLocalStorage, when the runtime has it. */
  readonly storage: AsyncLocalStorageLike<HostScope | undefined> | undefined;
  /** Whether `storage` may be holding stores (it was run since it was last disabled). */
  enabled: boolean;
  /** Without storage: the scope of the synchronous code running now. */
  current: HostScope | undefined;
  /** Scopes open now (every app's requests and loads, the dev server's own requests). */
  open: number;
  /** The scope running without the storage (solo rule), while it is open. */
  solo: HostScope | undefined;
  /** How many users asked for the solo rule (`useSoloRequests`). */
  soloUsers: number;
}

function createState(): ContextState {
  const getBuiltinModule = (globalThis as { process?: { getBuiltinModule?: BuiltinModuleGetter } }).process?.getBuiltinModule;
  const Storage = typeof getBuiltinModule === "function" ? getBuiltinModule("node:async_hooks")?.AsyncLocalStorage : undefined;
  return { storage: Storage ? new Storage<HostScope | undefined>() : undefined, enabled: false, current: undefined, open: 0, solo: undefined, soloUsers: 0 };
}

const KEY = Symbol.for("edge-kv.host.request-context.v2");
const holder = globalThis as { [KEY]?: ContextState };
const state: ContextState = (holder[KEY] ??= createState());

function runSync<R>(scope: HostScope | undefined, fn: () => R): R {
  const previous = state.current;
  state.current = scope;
  try {
    return fn();
  } finally {
    state.current = previous;
  }
}

function runStored<R>(scope: HostScope | undefined, fn: () => R): R {
  state.enabled = true;
  return state.storage!.run(scope, fn);
}

/**
 * Opens a scope: a request (`solo: true` lets it run without the storage when it is the only scope
 * open and the solo rule is on), an app's evaluation, or OUTSIDE. The caller closes it exactly once,
 * when the last of its work has settled.
 */
export function openScope(scope: HostScope, solo = false): OpenScope {
  const { storage } = state;
  if (storage === undefined) return { run: (fn) => runSync(scope, fn), close: () => {} };
  state.open++;
  let closed = false;
  if (solo && state.open === 1 && state.soloUsers > 0) {
    if (state.enabled) {
      // Quiet now: stores left on older promises must not answer for the solo request.
      storage.disable();
      state.enabled = false;
    }
    state.solo = scope;
    return {
      // Code called later while other scopes run (storage on) must not inherit the caller's store.
      run: (fn) => (state.enabled ? runStored(undefined, fn) : fn()),
      close: () => {
        if (closed) return;
        closed = true;
        if (state.solo === scope) state.solo = undefined;
        release();
      },
    };
  }
  return {
    run: (fn) => runStored(scope, fn),
    close: () => {
      if (closed) return;
      closed = true;
      release();
    },
  };
}

function release(): void {
  if (--state.open > 0) return;
  state.solo = undefined;
  if (state.soloUsers > 0 && state.enabled) {
    state.storage!.disable();
    state.enabled = false;
  }
}

/** Runs `fn` in `scope` (a request, or an app's evaluation); promises it starts keep the scope where the runtime allows it. */
export function runInScope<R>(scope: HostScope, fn: () => R): R {
  const open = openScope(scope);
  let result: R;
  try {
    result = open.run(fn);
  } catch (error) {
    open.close();
    throw error;
  }
  if (isPromiseLike(result)) result.then(open.close, open.close);
  else open.close();
  return result;
}

/** Runs `fn` as code of no request and no app (the dev server's own request handling), across its awaits. */
export function openOutsideScope(): OpenScope {
  return openScope(OUTSIDE);
}

/**
 * Turns the solo rule on for this process (see the top of this file) until the returned function is
 * called. Only for a process that runs nothing but apps, like `edge-kv dev`.
 */
export function useSoloRequests(): () => void {
  state.soloUsers++;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    state.soloUsers--;
  };
}

/** The scope of the code running now, if a host runs it. */
export function currentScope(): HostScope | undefined {
  const { storage } = state;
  if (storage === undefined) return state.current;
  const stored = state.enabled ? storage.getStore() : undefined;
  if (stored !== undefined) return stored === OUTSIDE ? undefined : stored;
  return state.solo;
}

/** The request being handled by an app loaded with loadApp (or served by `edge-kv dev`), if any. */
export function currentRequest(): RequestScope | undefined {
  const scope = currentScope();
  return scope?.phase === "request" ? (scope as RequestScope) : undefined;
}

/** Whether currentRequest() still answers after an await (true where AsyncLocalStorage is available). */
export function requestScopeSurvivesAwait(): boolean {
  return state.storage !== undefined;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function";
}
