/**
 * The import object for one guest instance: every `fastly_*` function edge-kv implements, and for
 * every other function the module declares a stub that answers the ABI's UNSUPPORTED status and
 * reports the function once by name — never a crash, never a silent wrong value.
 */
import { Status } from "../abi.js";
import type { HeaderMap } from "../headers.js";
import type { Sandbox } from "../sandbox.js";
import { backendFunctions, sendFunctions } from "./backends.js";
import { asyncIoFunctions, computeRuntimeFunctions, downstreamFunctions, geoFunctions, legacyDownstreamFunctions, logFunctions } from "./downstream.js";
import { bodyFunctions, requestFunctions, responseFunctions } from "./http.js";
import { kvFunctions } from "./kv.js";
import { configStoreFunctions, dictionaryFunctions, secretStoreFunctions } from "./stores.js";
import { wrapModule, type HostModule } from "./wrap.js";

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

/**
 * Imports for `module`: implemented functions wrapped (statuses, bounds checks), everything else it
 * declares stubbed. `wasi` supplies `wasi_snapshot_preview1`.
 */
export function buildImports(
  module: WebAssembly.Module,
  modules: Record<string, HostModule>,
  wasi: Record<string, unknown>,
  onUnsupported: (name: string) => void,
  onBug: (message: string) => void,
): WebAssembly.Imports {
  const imports: Record<string, Record<string, unknown>> = { wasi_snapshot_preview1: wasi };
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== "function") continue;
    const target = (imports[moduleName] ??= {});
    if (name in target) continue;
    const implemented = modules[moduleName]?.[name];
    if (implemented) {
      target[name] = wrapModule(moduleName, { [name]: implemented }, onBug)[name];
    } else if (moduleName === "wasi_snapshot_preview1") {
      target[name] = () => {
        onUnsupported(`${moduleName}.${name}`);
        return 52; // WASI ENOSYS
      };
    } else {
      const full = `${moduleName}.${name}`;
      target[name] = () => {
        onUnsupported(full);
        return Status.UNSUPPORTED;
      };
    }
  }
  return imports as WebAssembly.Imports;
}

/** Every `module.function` edge-kv implements (for documentation and tests). */
export function supportedFunctions(modules: Record<string, HostModule>): string[] {
  return Object.entries(modules).flatMap(([moduleName, functions]) => Object.keys(functions).map((name) => `${moduleName}.${name}`));
}
