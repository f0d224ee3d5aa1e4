/**
 * Test apps, built once per content with the project's @fastly/js-compute and cached under
 * node_modules/.cache/edge-kv-wasm (buildComputeApp): a fresh clone builds each app once.
 */
import { fileURLToPath } from "node:url";
import { MemoryDriver, type KVDriver } from "edge-kv";
import { buildComputeApp } from "../../src/wasm/build.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const builds = new Map<string, Promise<string>>();

/** The wasm of test/wasm/fixtures/<name>/src/index.js (or another entry under the repo). */
export function fixtureWasm(entry = "test/wasm/fixtures/app/src/index.js"): Promise<string> {
  let built = builds.get(entry);
  if (!built) {
    built = buildComputeApp(entry, { projectRoot: root }).then((result) => result.wasm);
    builds.set(entry, built);
  }
  return built;
}

/** A memory driver whose every answer is a Promise: how the filesystem, IndexedDB and Redis drivers answer. */
export function asyncDriver(): KVDriver {
  const inner = new MemoryDriver() as unknown as Record<string | symbol, unknown>;
  return new Proxy(inner, {
    get(target, property) {
      const value = target[property];
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => Promise.resolve().then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  }) as unknown as KVDriver;
}
