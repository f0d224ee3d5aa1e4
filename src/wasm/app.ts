/**
 * `loadWasmApp`: a Compute app's compiled wasm, hosted in Node on edge-kv's stores, behind the same
 * `fetch()` / `settled()` / `close()` interface as the JavaScript app host (`edge-kv/host`). Each
 * request gets a fresh instance of the (once compiled) module, as on Compute.
 */
import { getRegistry, type KVRegistry } from "../registry.js";
import { EdgeKvError } from "../errors.js";
import { BackendClient } from "./backend-environment.js";
import { computeStores, type ComputeStoreOptions } from "./compute-stores.js";
import { runInline } from "./inline.js";
import { compileModule, type CompiledModule } from "./module-cache.js";
import type { GeolocationConfig, RequestStart, StaticBackend } from "./protocol.js";
import type { RunResult } from "./run.js";
import { RequestSession, unsupportedMessage, type HostEnvironment, type WasmLogEntry } from "./session.js";
import { WorkerPool } from "./worker-pool.js";

export interface ClientOverrides {
  /** The client's IP address (default "127.0.0.1"). */
  address: string;
  /** The address the request arrived on (default "127.0.0.1"). */
  serverAddress: string;
}

export interface WasmAppOptions extends ComputeStoreOptions {
  /** The compiled app: a path or file URL to its .wasm, or its bytes. */
  wasm: string | URL | Uint8Array;
  /** Stores the app sees. Default: the active registry (getRegistry()) at each request. */
  registry?: KVRegistry;
  /**
   * Where the guest runs. "worker" (default): worker threads, so stores with asynchronous drivers,
   * backends and timers work while Node keeps serving. "main": the calling thread, fastest, for
   * synchronous (memory) stores only.
   */
  thread?: "worker" | "main";
  /** Worker threads at most (default: min(4, available parallelism)). */
  workers?: number;
  /** Backends by name: an origin URL, or { url, overrideHost }. */
  backends?: Record<string, string | { url: string; overrideHost?: string }>;
  /** Viceroy's [local_server.geolocation]. Default: loopback addresses get Viceroy's default record. */
  geolocation?: Partial<GeolocationConfig>;
  client?: Partial<ClientOverrides>;
  /** Print guest output (stdout, stderr, log endpoints) to the console as well. Default true. */
  echo?: boolean;
  /** First request id (FASTLY_TRACE_ID and event.client.requestId). Default 0, as Viceroy. */
  requestIdStart?: number;
}

export interface WasmApp {
  fetch(input: RequestInfo | URL, init?: RequestInit & { client?: Partial<ClientOverrides> }): Promise<Response>;
  /** Every request so far has finished (its instance exited: waitUntil work done, bodies sent). */
  settled(): Promise<void>;
  close(): Promise<void>;
  /** Guest output, in order: stdout/stderr lines and log endpoint messages. */
  readonly logs: WasmLogEntry[];
  /** Host functions the guest called that edge-kv does not support. */
  readonly unsupported: string[];
  /** The compiled module (hash, compile time). */
  readonly module: CompiledModule;
  /** Timings of the last request (instantiate and run, ms). */
  readonly lastRun: RunResult | null;
}

export async function loadWasmApp(options: WasmAppOptions): Promise<WasmApp> {
  if (options === null || typeof options !== "object" || options.wasm === undefined) {
    throw new EdgeKvError('loadWasmApp needs { wasm: "path/to/main.wasm" } (build one with: npx js-compute-runtime src/index.js bin/main.wasm)');
  }
  const compiled = await compileModule(options.wasm).catch((error: unknown) => {
    throw new EdgeKvError(`cannot load the wasm module ${String(options.wasm instanceof Uint8Array ? "(bytes)" : options.wasm)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const exports = WebAssembly.Module.exports(compiled.module).map((entry) => entry.name);
  if (!exports.includes("_start") || !exports.includes("memory")) {
    throw new EdgeKvError(`the wasm module does not look like a Compute app: it must export _start and memory (it exports ${exports.join(", ") || "nothing"})`);
  }

  const echo = options.echo ?? true;
  const logs: WasmLogEntry[] = [];
  const unsupported: string[] = [];
  const backends = new BackendClient();
  const env: HostEnvironment = {
    registry: () => options.registry ?? getRegistry(),
    stores: computeStores(() => options.registry ?? getRegistry(), options),
    backends,
    log(entry) {
      logs.push(entry);
      if (!echo) return;
      if (entry.source === "stdout") console.log(entry.message);
      else if (entry.source === "stderr") console.error(entry.message);
      else console.log(`${entry.source} :: ${entry.message}`);
    },
    unsupported(name) {
      if (unsupported.includes(name)) return;
      unsupported.push(name);
      console.warn(unsupportedMessage(name));
    },
  };
  const staticBackends: Record<string, StaticBackend> = {};
  for (const [name, backend] of Object.entries(options.backends ?? {})) {
    const spec = typeof backend === "string" ? { url: backend } : backend;
    staticBackends[name] = { url: spec.url, hostOverride: spec.overrideHost ?? null, dynamic: false };
  }
  const geolocation: GeolocationConfig = { useDefaultLoopback: options.geolocation?.useDefaultLoopback ?? true, addresses: options.geolocation?.addresses ?? {} };
  const pool = options.thread === "main" ? null : new WorkerPool(compiled, options.workers);

  let nextRequestId = options.requestIdStart ?? 0;
  const running = new Set<Promise<unknown>>();
  let lastRun: RunResult | null = null;
  let closed = false;

  const app: WasmApp = {
    logs,
    unsupported,
    module: compiled,
    get lastRun() {
      return lastRun;
    },
    async fetch(input, init) {
      if (closed) throw new EdgeKvError("this wasm app is closed");
      const { client, ...requestInit } = init ?? {};
      const request = new Request(input, requestInit);
      const requestId = nextRequestId++;
      const headers: [string, string][] = [...request.headers];
      if (!request.headers.has("host")) headers.unshift(["host", new URL(request.url).host]);
      const start: RequestStart = {
        requestId,
        method: request.method,
        url: request.url,
        headers,
        body: new Uint8Array(await request.arrayBuffer()),
        clientAddress: client?.address ?? options.client?.address ?? "127.0.0.1",
        serverAddress: client?.serverAddress ?? options.client?.serverAddress ?? "127.0.0.1",
        env: { ...env.stores.env(), FASTLY_TRACE_ID: requestId.toString(16).padStart(32, "0") },
        backends: staticBackends,
        geolocation,
        echo,
      };
      const session = new RequestSession(env, requestId);
      const run = (async () => {
        const result = pool ? await pool.run(start, session) : runInline(compiled.module, start, session);
        lastRun = result;
        session.finish();
        return result;
      })();
      running.add(run);
      run.finally(() => running.delete(run)).catch(() => undefined);
      return Promise.race([session.response, run.then(() => session.response)]);
    },
    async settled() {
      while (running.size > 0) await Promise.allSettled([...running]);
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.settled();
      await pool?.close();
      backends.close();
    },
  };
  return app;
}
