/**
 * A value every copy of edge-kv in the process shares (the Vite-transformed one and Node's own, dist and
 * src): kept on globalThis under a registered symbol, installed by a host or a plugin and read by the
 * Compute modules.
 */
export interface ProcessHook<T> {
  /** The value installed now, or undefined. */
  get(): T | undefined;
  /** Installs `value` (null: none); returns a function that puts back the previous one. */
  set(value: T | null): () => void;
}

export function processHook<T>(name: string): ProcessHook<T> {
  const key = Symbol.for(name);
  const holder = globalThis as { [key: symbol]: T | null | undefined };
  return {
    get: () => holder[key] ?? undefined,
    set(value) {
      const previous = holder[key] ?? null;
      holder[key] = value;
      return () => {
        holder[key] = previous;
      };
    },
  };
}
