/**
 * Messages between a guest's sandbox (the host functions, which run where the guest runs: the main
 * thread or a worker) and the environment it is hosted in (edge-kv's registry, backends, logs and the
 * downstream response, always on the main thread). Plain data, so the same messages travel by direct
 * call (guest on the main thread) or by MessagePort (guest in a worker).
 */

export type KvOperation =
  | { op: "lookup"; key: string }
  | {
      op: "insert";
      key: string;
      value: Uint8Array;
      mode: "overwrite" | "add" | "append" | "prepend";
      /** Raw metadata bytes as the guest passed them (null: flag not set). */
      metadata: Uint8Array | null;
      ttlSeconds: number | null;
      ifGenerationMatch: number | null;
    }
  | { op: "delete"; key: string }
  | { op: "list"; cursor: string | null; limit: number | null; prefix: string | null; eventual: boolean };

/** What a KV wait call reports: a host status, or a kv_error with its data. */
export type KvAnswer =
  | { status: number }
  | { kvError: number; value?: Uint8Array; metadata?: Uint8Array | null; generation?: number; body?: Uint8Array };

export interface OutgoingRequest {
  backend: string;
  /** Absolute URL the request goes to (backend origin + the request's path and query). */
  url: string;
  method: string;
  headers: [string, string][];
  /** The whole body, or null when it is streamed with `send-chunk` messages under `streamId`. */
  body: Uint8Array | null;
  streamId: number | null;
  /** The Host header the backend gets. */
  host: string;
  /** auto_decompress_response_set(gzip): a gzip response arrives decompressed, without its content-encoding. */
  autoDecompress: boolean;
}

export type SendAnswer =
  | { ok: true; status: number; headers: [string, string][]; bodyId: number; contentLength: number | null }
  | { ok: false; status: number; detail: number; message: string };

export interface DownstreamResponseHead {
  status: number;
  headers: [string, string][];
  /** The whole body, or null when it follows as `respond-chunk` / `respond-end`. */
  body: Uint8Array | null;
}

/** Sandbox → environment. Messages with an `id` get exactly one `settle` back. */
export type ToHost =
  | { t: "kv-open"; id: number; store: string }
  | { t: "kv"; id: number; store: string; operation: KvOperation }
  | { t: "config-open"; id: number; kind: "config" | "dictionary"; store: string }
  | { t: "config-get"; id: number; store: string; key: string }
  | { t: "secret-open"; id: number; store: string }
  | { t: "secret-get"; id: number; store: string; key: string }
  | { t: "send"; id: number; request: OutgoingRequest }
  | { t: "send-chunk"; streamId: number; bytes: Uint8Array }
  | { t: "send-end"; streamId: number; error: string | null }
  | { t: "log"; endpoint: string; message: string }
  | { t: "stdio"; fd: 1 | 2; text: string }
  | { t: "unsupported"; name: string }
  | { t: "respond"; head: DownstreamResponseHead }
  | { t: "respond-chunk"; bytes: Uint8Array }
  | { t: "respond-end"; error: string | null };

/** Environment → sandbox. */
export type ToSandbox =
  | { t: "settle"; id: number; value: unknown }
  | { t: "body-chunk"; bodyId: number; bytes: Uint8Array }
  | { t: "body-end"; bodyId: number; error: string | null };

/** The downstream request and client data a sandbox starts with. */
export interface RequestStart {
  /** Sequence number within the app (routes messages). */
  requestId: number;
  /** The id the guest sees (event.client.requestId): Viceroy's `{:032x}` of a counter, or one given by the caller. */
  clientRequestId: string;
  method: string;
  url: string;
  headers: [string, string][];
  body: Uint8Array;
  clientAddress: string;
  serverAddress: string;
  /**
   * TLS and fingerprint data by host function name (downstream_tls_protocol, ...), when the caller
   * gave some; absent ones answer NONE, as for a plain-HTTP request on Viceroy.
   */
  tls: Record<string, Uint8Array>;
  env: Record<string, string>;
  backends: Record<string, StaticBackend>;
  geolocation: GeolocationConfig;
  /** Print guest stdout/stderr and log lines to the console too (the log is always kept). */
  echo: boolean;
}

export interface StaticBackend {
  /** Origin URL: scheme, host and port (fastly.toml `url`, path ignored as Viceroy does not). */
  url: string;
  hostOverride: string | null;
  dynamic: boolean;
}

/** Viceroy's `[local_server.geolocation]`: loopback addresses get its default record unless turned off. */
export interface GeolocationConfig {
  useDefaultLoopback: boolean;
  /** Records by IP address (as written: "127.0.0.1", "2001:db8::1"). */
  addresses: Record<string, Record<string, unknown>>;
}
