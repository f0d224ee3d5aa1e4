/**
 * Calls edge-kv's host functions directly, as a guest would, against a plain WebAssembly.Memory: the
 * ABI-level tests check statuses, out-pointers and buffer conventions exactly, without compiling an
 * app. The environment side is the real one (registry, session), on the main thread.
 */
import type { KVRegistry } from "edge-kv";
import { BackendClient } from "../../src/wasm/backend-environment.js";
import { computeStores, type ComputeStoreOptions } from "../../src/wasm/compute-stores.js";
import { HeaderMap } from "../../src/wasm/headers.js";
import { hostModules } from "../../src/wasm/imports/index.js";
import type { HostModule } from "../../src/wasm/imports/wrap.js";
import { wrapModule } from "../../src/wasm/imports/wrap.js";
import type { RequestStart } from "../../src/wasm/protocol.js";
import { Sandbox } from "../../src/wasm/sandbox.js";
import { RequestSession, type WasmLogEntry } from "../../src/wasm/session.js";

export interface Harness {
  sandbox: Sandbox;
  session: RequestSession;
  call(module: string, name: string, ...args: (number | bigint)[]): number;
  /** Copies `data` into guest memory; returns [ptr, len]. */
  put(data: string | Uint8Array): [number, number];
  /** Reserves `size` zeroed bytes; returns the pointer. */
  alloc(size: number): number;
  u32(ptr: number): number;
  i64(ptr: number): bigint;
  u64(ptr: number): bigint;
  text(ptr: number, len: number): string;
  bytes(ptr: number, len: number): Uint8Array;
  setU32(ptr: number, value: number): void;
  setU64(ptr: number, value: bigint): void;
  logs: WasmLogEntry[];
}

export function abiHarness(registry: KVRegistry, options: ComputeStoreOptions & { start?: Partial<RequestStart> } = {}): Harness {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const logs: WasmLogEntry[] = [];
  const session = new RequestSession(
    { registry: () => registry, stores: computeStores(() => registry, options), backends: new BackendClient(), log: (entry) => logs.push(entry), unsupported: () => undefined },
    "00000000000000000000000000000007",
  );
  const start: RequestStart = {
    requestId: 7,
    clientRequestId: "00000000000000000000000000000007",
    method: "GET",
    url: "http://example.com/path?q=1",
    headers: [["host", "example.com"], ["x-a", "1"], ["x-a", "2"], ["x-fastly-bot-name", "Googlebot"]],
    body: new TextEncoder().encode("downstream body"),
    clientAddress: "127.0.0.1",
    serverAddress: "::1",
    tls: {},
    env: {},
    backends: {},
    geolocation: { useDefaultLoopback: true, addresses: {} },
    echo: false,
    ...options.start,
  };
  const sandbox: Sandbox = new Sandbox(start, {
    post: (message) => session.handle(message),
    poll: () => undefined,
    block: (_timeout, what) => {
      throw new Error(`the harness cannot wait (for ${what})`);
    },
  });
  session.connect((message) => sandbox.receive(message));
  sandbox.memory.attach(memory);
  const modules: Record<string, HostModule> = {};
  for (const [name, functions] of Object.entries(hostModules(sandbox, HeaderMap.from(start.headers), performance.now(), () => memory))) {
    modules[name] = wrapModule(name, functions, (message) => {
      throw new Error(message);
    });
  }
  let top = 1024;
  const view = () => new DataView(memory.buffer);
  const alloc = (size: number) => {
    const ptr = top;
    top += (size + 7) & ~7;
    new Uint8Array(memory.buffer, ptr, size).fill(0);
    return ptr;
  };
  return {
    sandbox,
    session,
    logs,
    call(module, name, ...args) {
      const fn = modules[module]?.[name];
      if (!fn) throw new Error(`no host function ${module}.${name}`);
      return fn(...args);
    },
    put(data) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      const ptr = alloc(Math.max(bytes.byteLength, 1));
      new Uint8Array(memory.buffer).set(bytes, ptr);
      return [ptr, bytes.byteLength];
    },
    alloc,
    u32: (ptr) => view().getUint32(ptr, true),
    i64: (ptr) => view().getBigInt64(ptr, true),
    u64: (ptr) => view().getBigUint64(ptr, true),
    text: (ptr, len) => new TextDecoder().decode(new Uint8Array(memory.buffer, ptr, len)),
    bytes: (ptr, len) => new Uint8Array(memory.buffer, ptr, len).slice(),
    setU32: (ptr, value) => view().setUint32(ptr, value, true),
    setU64: (ptr, value) => view().setBigUint64(ptr, value, true),
  };
}
