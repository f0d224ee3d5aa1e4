/**
 * Turns host-function implementations into wasm imports: every call returns a `$fastly_status`; a
 * pointer outside guest memory answers INVAL (as wiggle's bounds checks do); a GuestTrap propagates
 * (the guest traps); any other exception is a host bug, reported once and answered ERROR.
 */
import { writeSync } from "node:fs";
import { Status } from "../abi.js";
import { GuestMemoryError } from "../guest-memory.js";
import { GuestTrap } from "../sandbox.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type HostFunction = (...args: any[]) => number;
export type HostModule = Record<string, HostFunction>;

/** EDGE_KV_WASM_TRACE=1 prints every host call with its arguments and status (to stderr). */
const trace = typeof process !== "undefined" && Boolean(process.env.EDGE_KV_WASM_TRACE);

export function wrapModule(moduleName: string, functions: HostModule, onBug: (message: string) => void): HostModule {
  const wrapped: HostModule = {};
  for (const [name, fn] of Object.entries(functions)) {
    wrapped[name] = (...args: unknown[]) => {
      try {
        if (trace) {
          const status = fn(...args);
          // Synchronous: a worker blocked in Atomics.wait never flushes process.stderr.
          writeSync(2, `[edge-kv/wasm] ${moduleName}.${name}(${args.join(", ")}) → ${status}\n`);
          return status;
        }
        return fn(...args);
      } catch (error) {
        if (error instanceof GuestTrap) throw error;
        if (error instanceof GuestMemoryError) return Status.INVAL;
        onBug(`edge-kv/wasm: host function ${moduleName}.${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        return Status.ERROR;
      }
    };
  }
  return wrapped;
}
