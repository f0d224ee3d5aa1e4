/**
 * The import object for one guest instance: every `fastly_*` function edge-kv implements, and for
 * every other function the module declares a stub that answers the ABI's UNSUPPORTED status and
 * reports the function once by name — never a crash, never a silent wrong value.
 */
import { Status } from "../abi.js";
import type { HeaderMap } from "../headers.js";
import type { Sandbox } from "../sandbox.js";
import { backendFunctions, sendFunctions } from "./backends.js";
import { downstreamFunctions, geoFunctions, legacyDownstreamFunctions } from "./downstream.js";
import { asyncIoFunctions, computeRuntimeFunctions, logFunctions } from "./runtime.js";
import { bodyFunctions, requestFunctions, responseFunctions } from "./http.js";
import { kvFunctions } from "./kv.js";
import { configStoreFunctions, dictionaryFunctions, secretStoreFunctions } from "./stores.js";
import { wrapModule, type HostFunction, type HostModule } from "./wrap.js";

/** The host functions edge-kv implements, by module (what docs/wasm-host.md lists). */
export function hostModules(sb: Sandbox, originalHeaders: HeaderMap, startedAt: number, memory: () => WebAssembly.Memory | null): Record<string, HostModule> {
  const downstream = downstreamFunctions(sb, originalHeaders);
  return {
    fastly_abi: {
      init: (version: bigint | number) => (BigInt(version) === 1n ? Status.OK : Status.ERROR),
    },
    fastly_http_req: { ...requestFunctions(sb), ...sendFunctions(sb), ...legacyDownstreamFunctions(sb, downstream) },
    fastly_http_resp: responseFunctions(sb),
    fastly_http_body: bodyFunctions(sb),
    fastly_http_downstream: downstream,
    fastly_kv_store: kvFunctions(sb),
    fastly_config_store: configStoreFunctions(sb),
    fastly_dictionary: dictionaryFunctions(sb),
    fastly_secret_store: secretStoreFunctions(sb),
    fastly_backend: backendFunctions(sb),
    fastly_log: logFunctions(sb),
    fastly_geo: geoFunctions(sb),
    fastly_async_io: asyncIoFunctions(sb),
    fastly_compute_runtime: computeRuntimeFunctions(sb, startedAt, memory),
  };
}

/** The function imports a module declares, in order, each module/name once. */
export function functionImports(module: WebAssembly.Module): { module: string; name: string }[] {
  const seen = new Set<string>();
  const out: { module: string; name: string }[] = [];
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function" || seen.has(`${moduleName}\0${name}`)) continue;
    seen.add(`${moduleName}\0${name}`);
    out.push({ module: moduleName, name });
  }
  return out;
}

/**
 * One request's implementations of `imports` (as functionImports lists them): implemented functions
 * wrapped (statuses, bounds checks), everything else the module declares stubbed. `wasi` supplies
 * `wasi_snapshot_preview1`.
 */
export function bindImports(
  imports: readonly { module: string; name: string }[],
  modules: Record<string, HostModule>,
  wasi: Record<string, unknown>,
  onUnsupported: (name: string) => void,
  onBug: (message: string) => void,
): HostFunction[] {
  return imports.map(({ module: moduleName, name }) => {
    const full = `${moduleName}.${name}`;
    if (moduleName === "wasi_snapshot_preview1") {
      const fn = wasi[name];
      if (typeof fn === "function") return fn as HostFunction;
      return () => {
        onUnsupported(full);
        return 52; // WASI ENOSYS
      };
    }
    const implemented = modules[moduleName]?.[name];
    if (implemented) return wrapModule(moduleName, { [name]: implemented }, onBug)[name]!;
    return () => {
      onUnsupported(full);
      return Status.UNSUPPORTED;
    };
  });
}

/** Every `module.function` edge-kv implements (for documentation and tests). */
export function supportedFunctions(modules: Record<string, HostModule>): string[] {
  return Object.entries(modules).flatMap(([moduleName, functions]) => Object.keys(functions).map((name) => `${moduleName}.${name}`));
}
