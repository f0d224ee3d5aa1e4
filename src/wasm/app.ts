/**
 * `loadWasmApp`: a Compute app's compiled wasm, hosted in Node on edge-kv's stores, behind the same
 * `fetch()` / `settled()` / `close()` interface as the JavaScript app host (`edge-kv/host`'s
 * `loadApp`). Each request gets a fresh instance of the (once compiled) module, as on Compute.
 */
import { EdgeKvError } from "../errors.js";
import { getRegistry, type KVRegistry } from "../registry.js";
import { BackendClient } from "./backend-environment.js";
import { computeStores, type ComputeStoreOptions } from "./compute-stores.js";
import { readGuestConfig } from "./fastly-toml.js";
import { runInline } from "./inline.js";
import { discardPrepared, prepareInstance } from "./instances.js";
import { compileModule, type CompiledModule } from "./module-cache.js";
import type { GeolocationConfig, RequestStart, StaticBackend } from "./protocol.js";
import type { RunResult } from "./run.js";
import { RequestSession, unsupportedMessage, type HostEnvironment, type WasmLogEntry } from "./session.js";
import { WorkerPool } from "./worker-pool.js";

/** Viceroy's address: relative request URLs resolve against it, as with `edge-kv/host`. */
const DEFAULT_ORIGIN = "http://127.0.0.1:7676";

/** Per-request client values (as `edge-kv/host`'s ClientOverrides; TLS data is absent here, as on Viceroy). */
export interface WasmClientOverrides {
  /** The client's IP address (default "127.0.0.1"). */
  address?: string;
  /** The id the guest sees (default: `{:032x}` of the app's request counter). */
  requestId?: string;
  /** The client's geolocation record; null for none (default: Viceroy's record for loopback addresses). */
  geo?: Record<string, unknown> | null;
  /** TLS and fingerprint data (default: none, as for a plain-HTTP request on Viceroy). */
  tlsCipherOpensslName?: string | null;
  tlsProtocol?: string | null;
  /** 32 hex digits (the host hands the guest the 16 bytes). */
  tlsJA3MD5?: string | null;
  tlsJA4?: string | null;
  h2Fingerprint?: string | null;
  ohFingerprint?: string | null;
  tlsClientSNI?: string | null;
  tlsClientCertificate?: ArrayBuffer | ArrayBufferView | null;
  tlsClientHello?: ArrayBuffer | ArrayBufferView | null;
}

/** Client TLS values → the host functions that answer them. */
const TLS_FUNCTIONS: Record<string, string> = {
  tlsCipherOpensslName: "downstream_tls_cipher_openssl_name",
  tlsProtocol: "downstream_tls_protocol",
  tlsJA3MD5: "downstream_tls_ja3_md5",
  tlsJA4: "downstream_tls_ja4",
  h2Fingerprint: "downstream_client_h2_fingerprint",
  ohFingerprint: "downstream_client_oh_fingerprint",
  tlsClientSNI: "downstream_tls_client_servername",
  tlsClientCertificate: "downstream_tls_raw_client_certificate",
  tlsClientHello: "downstream_tls_client_hello",
};

function tlsValues(client: WasmClientOverrides): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [option, fn] of Object.entries(TLS_FUNCTIONS)) {
    const value = (client as Record<string, unknown>)[option];
    if (value === undefined || value === null) continue;
    if (option === "tlsJA3MD5") {
      if (typeof value !== "string" || !/^[0-9a-fA-F]{32}$/.test(value)) throw new EdgeKvError(`client.tlsJA3MD5 must be 32 hex digits, got ${JSON.stringify(value)}`);
      out[fn] = Uint8Array.from(value.match(/../g)!.map((pair) => parseInt(pair, 16)));
    } else if (typeof value === "string") out[fn] = new TextEncoder().encode(value);
    else if (ArrayBuffer.isView(value)) out[fn] = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
    else if (value instanceof ArrayBuffer) out[fn] = new Uint8Array(value.slice(0));
    else throw new EdgeKvError(`client.${option} must be a string, bytes or null`);
  }
  return out;
}

export interface WasmRequestInit extends RequestInit {
  client?: WasmClientOverrides;
  server?: { address?: string };
}

export interface WasmAppOptions extends ComputeStoreOptions {
  /** The compiled app: a path or file URL to its .wasm, or its bytes. */
  wasm: string | URL | Uint8Array;
  /** Stores the app sees. Default: the active registry (getRegistry()) at each request. */
  registry?: KVRegistry;
  /**
   * Where the guest runs. "worker" (default): worker threads, so stores with asynchronous drivers,
   * backends and timers work while Node keeps serving. "main": the calling thread — fastest, for
   * synchronous (memory) stores and no backends.
   */
  thread?: "worker" | "main";
  /** Worker threads at most (default: min(4, available parallelism)). */
  workers?: number;
  /**
   * A fastly.toml to take `[local_server.backends]` and `[local_server.geolocation]` from (stores come
   * from the registry: load them with loadFastlyToml from edge-kv/node). `backends` and
   * `geolocation` given here take precedence.
   */
  fastlyToml?: string;
  /** Backends by name: an origin URL, or { url, overrideHost } (as fastly.toml [local_server.backends]). */
  backends?: Record<string, string | { url: string; overrideHost?: string }>;
  /** Viceroy's [local_server.geolocation]. Default: loopback addresses get Viceroy's default record. */
  geolocation?: Partial<GeolocationConfig>;
  /** Base for relative request URLs. Default http://127.0.0.1:7676. */
  origin?: string | URL;
  client?: WasmClientOverrides;
  server?: { address?: string };
  /** The first request's id counter (ids are `{:032x}` of 0, 1, 2... as on Viceroy). Default 0. */
  requestIdStart?: number;
  /** Print guest output (stdout, stderr, log endpoints) to the console as well. Default true. */
  echo?: boolean;
  /**
   * Where a failing request is reported (the client still gets the runtime's answer): the failures the
   * runtime reports on stderr ("listener-threw", "response-rejected"; the guest's exception object
   * stays in the guest, so `error` carries the runtime's text) and instances that trapped
   * ("instance-trapped"). Default: nothing more than the runtime's own stderr output (echoed), and a
   * line for a trapped instance.
   */
  onError?: (error: Error, info: WasmErrorInfo) => void;
}

/** What went wrong in a request, as edge-kv/host's AppErrorInfo says it. */
export interface WasmErrorInfo {
  kind: "listener-threw" | "response-rejected" | "instance-trapped";
  message: string;
  requestId: string;
  method: string;
  url: string;
}

export interface WasmApp {
  fetch(input: RequestInfo | URL, init?: WasmRequestInit): Promise<Response>;
  /** Every request so far has finished (its instance exited: waitUntil work done, bodies sent). */
  settled(): Promise<void>;
  /** Waits for `settled()`, stops the worker threads, then refuses further requests. */
  close(): Promise<void>;
  /** Guest output, in order: stdout/stderr lines and log endpoint messages. */
  readonly logs: WasmLogEntry[];
  /** Host functions the guest called that edge-kv does not support (each also printed once). */
  readonly unsupported: string[];
  /** The compiled module (hash, compile time). */
  readonly module: CompiledModule;
  /** Timings and exit of the last request that finished. */
  readonly lastRun: RunResult | null;
}

function staticBackends(backends: WasmAppOptions["backends"]): Record<string, StaticBackend> {
  const out: Record<string, StaticBackend> = {};
  for (const [name, backend] of Object.entries(backends ?? {})) {
    const spec = typeof backend === "string" ? { url: backend } : backend;
    try {
      new URL(spec.url);
    } catch {
      throw new EdgeKvError(`backend '${name}': url must be an absolute URL such as "http://127.0.0.1:8080", got ${JSON.stringify(spec.url)}`);
    }
    out[name] = { url: spec.url, hostOverride: spec.overrideHost ?? null, dynamic: false };
  }
  return out;
}

export async function loadWasmApp(options: WasmAppOptions): Promise<WasmApp> {
  if (options === null || typeof options !== "object" || options.wasm === undefined) {
    throw new EdgeKvError('loadWasmApp needs { wasm: "path/to/main.wasm" } (build one with: npx js-compute-runtime src/index.js bin/main.wasm)');
  }
  if (options.thread !== undefined && options.thread !== "worker" && options.thread !== "main") {
    throw new EdgeKvError(`loadWasmApp: thread must be "worker" or "main", got ${JSON.stringify(options.thread)}`);
  }
  const fromToml = options.fastlyToml === undefined ? null : await readGuestConfig(options.fastlyToml);
  const backends = staticBackends({ ...fromToml?.backends, ...options.backends });
  const origin = String(options.origin ?? DEFAULT_ORIGIN);
  const compiled = await compileModule(options.wasm).catch((error: unknown) => {
    throw new EdgeKvError(`cannot load the wasm module ${options.wasm instanceof Uint8Array ? "(bytes)" : String(options.wasm)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const exports = WebAssembly.Module.exports(compiled.module).map((entry) => entry.name);
  if (!exports.includes("_start") || !exports.includes("memory")) {
    throw new EdgeKvError(`the wasm module is not a Compute app: it must export _start and memory (it exports ${exports.join(", ") || "nothing"})`);
  }

  const echo = options.echo ?? true;
  const logs: WasmLogEntry[] = [];
  const unsupported: string[] = [];
  const client = new BackendClient();
  const registry = () => options.registry ?? getRegistry();
  const env: HostEnvironment = {
    registry,
    stores: computeStores(registry, options),
    backends: client,
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
  const geolocation: GeolocationConfig = {
    useDefaultLoopback: options.geolocation?.useDefaultLoopback ?? fromToml?.geolocation.useDefaultLoopback ?? true,
    addresses: { ...fromToml?.geolocation.addresses, ...options.geolocation?.addresses },
  };
  const onError =
    options.onError ?? ((error, info) => info.kind === "instance-trapped" && console.error(`edge-kv/wasm: request ${info.requestId} (${info.method} ${info.url}) failed: ${error.message}`));
  const pool = options.thread === "main" ? null : new WorkerPool(compiled, options.workers);
  if (pool === null) prepareInstance(compiled.module);

  let sequence = 0;
  let nextRequestId = options.requestIdStart ?? 0;
  const running = new Set<Promise<unknown>>();
  let lastRun: RunResult | null = null;
  let closed = false;

  const start = async (input: RequestInfo | URL, init: WasmRequestInit | undefined): Promise<RequestStart> => {
    const { client: clientInit, server: serverInit, ...requestInit } = init ?? {};
    const resolved = typeof input === "string" && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(input) ? new URL(input, origin) : input;
    const request = new Request(resolved, requestInit);
    const values = { ...options.client, ...clientInit };
    const clientRequestId = values.requestId ?? (nextRequestId++).toString(16).padStart(32, "0");
    const clientAddress = values.address ?? "127.0.0.1";
    // Requests that reach Compute over HTTP always carry a Host header.
    const headers: [string, string][] = [...request.headers];
    if (!request.headers.has("host")) headers.unshift(["host", new URL(request.url).host]);
    const requestGeo =
      values.geo === undefined ? geolocation : { useDefaultLoopback: values.geo === null ? false : geolocation.useDefaultLoopback, addresses: { ...geolocation.addresses, ...(values.geo ? { [clientAddress]: values.geo } : {}) } };
    return {
      requestId: sequence++,
      clientRequestId,
      method: request.method,
      url: request.url,
      headers,
      body: new Uint8Array(await request.arrayBuffer()),
      clientAddress,
      serverAddress: serverInit?.address ?? options.server?.address ?? "127.0.0.1",
      tls: tlsValues(values),
      env: { ...env.stores.env(), FASTLY_TRACE_ID: clientRequestId },
      backends,
      geolocation: requestGeo,
      echo,
    };
  };

  const app: WasmApp = {
    logs,
    unsupported,
    module: compiled,
    get lastRun() {
      return lastRun;
    },
    async fetch(input, init) {
      if (closed) throw new EdgeKvError("this wasm app was closed (app.close()); load it again with loadWasmApp(...) to send it requests");
      const request = await start(input, init);
      const session = new RequestSession(env, request.clientRequestId);
      const run = (async () => {
        const result = pool ? await pool.run(request, session) : runInline(compiled.module, request, session);
        lastRun = result;
        session.finish();
        const where = { requestId: request.clientRequestId, method: request.method, url: request.url };
        for (const { kind, message } of session.runtimeErrors()) onError(new Error(message), { kind, message, ...where });
        if (result.trap !== null) onError(new EdgeKvError(`the guest trapped: ${result.trap}`), { kind: "instance-trapped", message: result.trap, ...where });
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
      if (pool === null) discardPrepared(compiled.module);
      client.close();
    },
  };
  return app;
}
