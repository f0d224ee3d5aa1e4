import { FakeClock, KVStore, resetRegistry, type Profile, type StoreOptions } from "edge-kv";

/** A fresh active registry with one store "s" on a fake clock. */
export function freshStore(options: StoreOptions & { profile?: Profile } = {}) {
  const clock = new FakeClock();
  const registry = resetRegistry({ clock });
  const admin = registry.defineStore("s", options);
  return { store: new KVStore("s"), admin, clock, registry };
}

/** Captures what a call throws synchronously, or the promise it returns. */
export function callSync(run: () => unknown): { threw: unknown } | { returned: unknown } {
  try {
    return { returned: run() };
  } catch (error) {
    return { threw: error };
  }
}

/** Asserts `run` throws synchronously an error of class `type` with exactly `message`. */
export function expectSyncThrow(run: () => unknown, type: new (...args: never[]) => Error, message: string): void {
  const result = callSync(run);
  if (!("threw" in result)) throw new Error(`expected a synchronous ${type.name}, got a return value ${String(result.returned)}`);
  const error = result.threw as Error;
  if (!(error instanceof type) || error.constructor !== type) throw new Error(`expected ${type.name}, got ${String(error?.constructor?.name)}: ${String(error?.message)}`);
  if (error.message !== message) throw new Error(`expected message ${JSON.stringify(message)}, got ${JSON.stringify(error.message)}`);
}

/** Asserts `run` returns (does not throw) a promise that rejects with class `type` and exactly `message`. */
export async function expectRejection(run: () => unknown, type: new (...args: never[]) => Error, message: string): Promise<void> {
  const result = callSync(run);
  if ("threw" in result) throw new Error(`expected a rejected promise, but it threw synchronously: ${String(result.threw)}`);
  const promise = result.returned as Promise<unknown>;
  if (!(promise instanceof Promise)) throw new Error("expected a promise");
  let settled: { ok: true; value: unknown } | { ok: false; error: unknown };
  try {
    settled = { ok: true, value: await promise };
  } catch (error) {
    settled = { ok: false, error };
  }
  if (settled.ok) throw new Error(`expected a rejection, got ${String(settled.value)}`);
  const error = settled.error as Error;
  if (!(error instanceof type) || error.constructor !== type) throw new Error(`expected ${type.name}, got ${String(error?.constructor?.name)}: ${String(error?.message)}`);
  if (error.message !== message) throw new Error(`expected message ${JSON.stringify(message)}, got ${JSON.stringify(error.message)}`);
}
