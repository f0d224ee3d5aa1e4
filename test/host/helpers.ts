import { loadApp, type App, type AppErrorInfo, type FetchEvent, type LoadAppOptions } from "edge-kv/host";

export interface Reported {
  error: unknown;
  info: AppErrorInfo;
}

/**
 * An app whose listeners are defined in the test: the loader registers them through the global
 * addEventListener, exactly as an app module's top level does. Errors are collected, not printed.
 */
export async function inlineApp(
  listeners: Array<(this: typeof globalThis, event: FetchEvent) => unknown>,
  options: LoadAppOptions = {},
): Promise<{ app: App; reported: Reported[] }> {
  const reported: Reported[] = [];
  const app = await loadApp(
    () => {
      for (const listener of listeners) (globalThis as unknown as { addEventListener(type: string, listener: unknown): void }).addEventListener("fetch", listener);
    },
    { onError: (error, info) => reported.push({ error, info }), ...options },
  );
  return { app, reported };
}

/** A promise and its resolve/reject, to settle it from the test. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** Lets every queued microtask and immediate run. */
export const tick = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
