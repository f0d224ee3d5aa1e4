/**
 * Constants of the Compute host ABI (the core-module ABI the JS, Rust and Go SDKs import), as defined
 * in Viceroy's `wasm_abi/compute-at-edge-abi/typenames.witx` (fastly/Viceroy 274febd) and used by
 * js-compute-runtime's `runtime/fastly/host-api/fastly.h` (1cc96f82).
 */

/** `$fastly_status`: the i32 every host function returns. */
export const Status = {
  OK: 0,
  ERROR: 1,
  INVAL: 2,
  BADF: 3,
  BUFLEN: 4,
  UNSUPPORTED: 5,
  BADALIGN: 6,
  HTTPINVALID: 7,
  HTTPUSER: 8,
  HTTPINCOMPLETE: 9,
  NONE: 10,
  HTTPHEADTOOLARGE: 11,
  HTTPINVALIDSTATUS: 12,
  LIMITEXCEEDED: 13,
  AGAIN: 14,
} as const;
export type StatusCode = (typeof Status)[keyof typeof Status];

export const STATUS_NAMES: Record<number, string> = Object.fromEntries(Object.entries(Status).map(([name, code]) => [code, name]));

/** `$kv_error`: written by the `*_wait` calls of `fastly_kv_store`. */
export const KvError = {
  UNINITIALIZED: 0,
  OK: 1,
  BAD_REQUEST: 2,
  NOT_FOUND: 3,
  PRECONDITION_FAILED: 4,
  PAYLOAD_TOO_LARGE: 5,
  INTERNAL_ERROR: 6,
  TOO_MANY_REQUESTS: 7,
} as const;

/** `$kv_insert_config_options` bits. */
export const KvInsertFlag = { RESERVED: 1, BACKGROUND_FETCH: 2, RESERVED_2: 4, METADATA: 8, TTL: 16, IF_GENERATION_MATCH: 32 } as const;
/** `$kv_list_config_options` bits. */
export const KvListFlag = { RESERVED: 1, CURSOR: 2, LIMIT: 4, PREFIX: 8 } as const;
/** `$kv_insert_mode`. */
export const KV_INSERT_MODES = ["overwrite", "add", "append", "prepend"] as const;

/** `$http_version`. */
export const HttpVersion = { HTTP_09: 0, HTTP_10: 1, HTTP_11: 2, H2: 3, H3: 4 } as const;

/** Handles the SDKs treat as "no handle" (fastly_shared INVALID_*_HANDLE = u32::MAX - 1). */
export const INVALID_HANDLE = 0xffff_fffe;

/** `$body_write_end`. */
export const BodyWriteEnd = { BACK: 0, FRONT: 1 } as const;

/** `$send_error_detail_tag` values the host writes on a failed send. */
export const SendErrorTag = {
  UNINITIALIZED: 0,
  OK: 1,
  DNS_ERROR: 3,
  DESTINATION_NOT_FOUND: 4,
  CONNECTION_REFUSED: 7,
  CONNECTION_TERMINATED: 8,
  CONNECTION_TIMEOUT: 9,
  HTTP_INCOMPLETE_RESPONSE: 13,
  HTTP_RESPONSE_TIMEOUT: 16,
  INTERNAL_ERROR: 22,
} as const;

/** `$backend_config_options` bits (register_dynamic_backend). */
export const BackendFlag = {
  RESERVED: 1 << 0,
  HOST_OVERRIDE: 1 << 1,
  CONNECT_TIMEOUT: 1 << 2,
  FIRST_BYTE_TIMEOUT: 1 << 3,
  BETWEEN_BYTES_TIMEOUT: 1 << 4,
  USE_SSL: 1 << 5,
  SSL_MIN_VERSION: 1 << 6,
  SSL_MAX_VERSION: 1 << 7,
  CERT_HOSTNAME: 1 << 8,
  CA_CERT: 1 << 9,
  CIPHERS: 1 << 10,
  SNI_HOSTNAME: 1 << 11,
  DONT_POOL: 1 << 12,
  CLIENT_CERT: 1 << 13,
  GRPC: 1 << 14,
  KEEPALIVE: 1 << 15,
  POOLING_LIMITS: 1 << 16,
  PREFER_IPV4: 1 << 17,
  HEALTHCHECK: 1 << 18,
} as const;
export const BACKEND_FLAGS_KNOWN = (1 << 19) - 1;
