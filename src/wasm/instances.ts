/**
 * Instances of a guest module, one per request. Instantiating is about half of a request's cost
 * (creating the 7+ MB linear memory and copying the data segments into it) and runs no guest code
 * (Compute modules have no start function: the request runs in `_start`), so the next instance is
 * made ahead, while the thread is idle, and a request takes it ready. Its imports call the functions
 * of whichever request currently runs on this thread (one at a time per thread: the guest runs
 * synchronously from `_start` to exit).
 */
import { functionImports } from "./imports/index.js";
import type { HostFunction } from "./imports/wrap.js";

interface ModuleInstances {
  imports: { module: string; name: string }[];
  object: WebAssembly.Imports;
  /** The running request's implementations, by import index. */
  current: HostFunction[] | null;
  ready: { instance: WebAssembly.Instance; ms: number } | null;
  scheduled: NodeJS.Timeout | null;
}

const byModule = new WeakMap<WebAssembly.Module, ModuleInstances>();

function instancesOf(module: WebAssembly.Module): ModuleInstances {
  let entry = byModule.get(module);
  if (!entry) {
    const imports = functionImports(module);
    const state: ModuleInstances = { imports, object: {}, current: null, ready: null, scheduled: null };
    const object: Record<string, Record<string, HostFunction>> = {};
    imports.forEach(({ module: moduleName, name }, index) => {
      (object[moduleName] ??= {})[name] = (...args: unknown[]) => state.current![index]!(...args);
    });
    state.object = object;
    byModule.set(module, state);
    entry = state;
  }
  return entry;
}

/** The function imports of `module`, in the order `bind` expects their implementations. */
export function importsOf(module: WebAssembly.Module): readonly { module: string; name: string }[] {
  return instancesOf(module).imports;
}

function instantiate(entry: ModuleInstances, module: WebAssembly.Module): { instance: WebAssembly.Instance; ms: number } {
  const started = performance.now();
  const instance = new WebAssembly.Instance(module, entry.object);
  return { instance, ms: performance.now() - started };
}

/**
 * A fresh instance for one request, bound to `functions` until `release`. `ahead` tells whether it
 * was made before the request (then `instantiateMs` was spent off the request's path).
 */
export function takeInstance(module: WebAssembly.Module, functions: HostFunction[]): { instance: WebAssembly.Instance; instantiateMs: number; ahead: boolean; release(): void } {
  const entry = instancesOf(module);
  const made = entry.ready ?? instantiate(entry, module);
  const ahead = entry.ready !== null;
  entry.ready = null;
  const previous = entry.current;
  entry.current = functions;
  return {
    instance: made.instance,
    instantiateMs: made.ms,
    ahead,
    release: () => {
      entry.current = previous;
    },
  };
}

/**
 * Makes the next instance of `module` at the thread's next macrotask turn (at most one waits). A
 * caller that sends requests back to back without ever yielding to the event loop (awaiting only
 * promises) gets no turn, and its requests instantiate on their own path.
 */
export function prepareInstance(module: WebAssembly.Module): void {
  const entry = instancesOf(module);
  if (entry.ready !== null || entry.scheduled !== null) return;
  entry.scheduled = setTimeout(() => {
    entry.scheduled = null;
    if (entry.ready === null) entry.ready = instantiate(entry, module);
  }, 0).unref();
}

/** Drops the instance made ahead for `module` (its app closed). */
export function discardPrepared(module: WebAssembly.Module): void {
  const entry = byModule.get(module);
  if (!entry) return;
  if (entry.scheduled !== null) clearTimeout(entry.scheduled);
  entry.scheduled = null;
  entry.ready = null;
}
