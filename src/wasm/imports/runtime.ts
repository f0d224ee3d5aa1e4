/**
 * `fastly_log`, `fastly_compute_runtime` and `fastly_async_io`, after Viceroy's
 * `src/wiggle_abi/{log_impl,compute_runtime}.rs` and `src/async_io.rs` (274febd).
 */
import { Status } from "../abi.js";
import type { Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

const RESERVED_ENDPOINT = /^(stdout|stderr)$|^fst_managed_/i;

export function logFunctions(sb: Sandbox): HostModule {
  const endpoints = new Map<number, string>();
  return {
    endpoint_get(namePtr: number, nameLen: number, handleOut: number) {
      const name = sb.memory.utf8(namePtr, nameLen);
      if (RESERVED_ENDPOINT.test(name)) return Status.INVAL;
      const handle = sb.insert({ kind: "log-endpoint", name });
      endpoints.set(handle, name);
      sb.memory.setU32(handleOut, handle);
      return Status.OK;
    },
    write(h: number, msgPtr: number, msgLen: number, nwrittenOut: number) {
      const name = endpoints.get(h >>> 0);
      if (name === undefined || !sb.entry(h, "log-endpoint")) return Status.BADF;
      sb.post({ t: "log", endpoint: name, message: sb.memory.utf8(msgPtr, msgLen) });
      sb.memory.setU32(nwrittenOut, msgLen);
      return Status.OK;
    },
  };
}

export function computeRuntimeFunctions(sb: Sandbox, startedAt: number, memory: () => WebAssembly.Memory | null): HostModule {
  return {
    get_vcpu_ms(out: number) {
      // Wall time the instance has run, in whole ms (the guest runs without pauses here).
      sb.memory.setU64(out, Math.floor(performance.now() - startedAt));
      return Status.OK;
    },
    get_heap_mib(out: number) {
      const bytes = memory()?.buffer.byteLength ?? 0;
      sb.memory.setU32(out, Math.ceil(bytes / (1024 * 1024)));
      return Status.OK;
    },
  };
}

export function asyncIoFunctions(sb: Sandbox): HostModule {
  /** Readiness of an async item (Viceroy's AsyncItem::await_ready), or null for a bad handle. */
  const ready = (h: number): boolean | null => {
    const entry = sb.get(h);
    switch (entry?.kind) {
      case "body":
        return entry.body.ready();
      case "streaming":
      case "request-promise":
        return true;
      case "pending-request":
      case "kv-pending":
        return entry.pending.settled;
      default:
        return null;
    }
  };
  /** What the guest waits for, for the message when it can never arrive. */
  const describe = (handles: number[]): string => {
    for (const h of handles) {
      const entry = sb.get(h);
      if (entry?.kind === "kv-pending" || entry?.kind === "pending-request") return entry.pending.what;
      if (entry?.kind === "body") return "a body to receive bytes";
    }
    return "a timer";
  };
  return {
    select(handlesPtr: number, handlesLen: number, timeoutMs: number, readyIdxOut: number) {
      if (handlesLen === 0 && timeoutMs === 0) return Status.INVAL;
      const handles: number[] = [];
      for (let i = 0; i < handlesLen >>> 0; i++) handles.push(sb.memory.u32(handlesPtr + i * 4));
      for (const h of handles) if (ready(h) === null) return Status.BADF;
      let index = -1;
      const found = sb.waitUntil(
        () => {
          index = handles.findIndex((h) => ready(h));
          return index !== -1;
        },
        timeoutMs === 0 ? null : timeoutMs,
        describe(handles),
      );
      sb.memory.setU32(readyIdxOut, found ? index : 0xffffffff);
      return Status.OK;
    },
    is_ready(h: number, out: number) {
      sb.poll();
      const state = ready(h);
      if (state === null) return Status.BADF;
      sb.memory.setU32(out, state ? 1 : 0);
      return Status.OK;
    },
  };
}
