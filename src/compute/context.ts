/**
 * Where the code that calls a Compute API is running, as the app host (edge-kv/host, the wasm host) sees
 * it. On Compute, an app's top-level code runs at build time ("initialization", under Wizer) and the
 * store constructors refuse to run there; `fastly:env` then sees only build-time variables.
 *
 * edge-kv's rule: it is initialization only while a host says so — while it evaluates an app's entry
 * module (loadApp). Everywhere else (a unit test calling `new KVStore(name)`, a script under
 * edge-kv/register, a request being handled) is request time. Hosts install one provider; it is kept
 * on globalThis under a registered symbol, so every copy of edge-kv in the process asks the same one.
 */

import { processHook } from "./process-hook.js";

export type ComputePhase = "init" | "request";

export interface ComputeContext {
  /** "init": an app's top-level code is being evaluated by a host; "request": a request is being handled. */
  phase: ComputePhase;
  /**
   * Environment values of this app instance or request (FASTLY_TRACE_ID, the host's per-app `env`
   * option...). They override the registry's defaults; values set with `registry.env.set` override them.
   */
  env?: Readonly<Record<string, string | undefined>>;
}

export type ComputeContextProvider = () => ComputeContext | undefined;

const provider = processHook<ComputeContextProvider>("edge-kv.compute.context-provider");

/**
 * Installs the function that tells edge-kv which phase the calling code is in (a host uses
 * AsyncLocalStorage in Node, or a synchronous flag). Returns a function that puts back the previous one.
 */
export function setComputeContextProvider(value: ComputeContextProvider | null): () => void {
  if (value !== null && typeof value !== "function") throw new TypeError("setComputeContextProvider expects a function or null");
  return provider.set(value);
}

/** The calling code's context, or undefined outside any host. */
export function computeContext(): ComputeContext | undefined {
  const current = provider.get();
  return current ? current() : undefined;
}

/** Whether a host is evaluating an app's top-level code now. */
export function isInitializing(): boolean {
  return computeContext()?.phase === "init";
}
