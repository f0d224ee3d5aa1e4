/**
 * Every limit edge-kv enforces, in one place. Sources: ../shared/reference/fastly-kv-store.md
 * (§2, §3, §5, §7, §11) — the Compute JavaScript runtime's own guards unless noted.
 */
export const KVLimits = {
  /** Store names: 1–255 UTF-8 bytes (runtime constructor check). */
  MAX_STORE_NAME_BYTES: 255,
  /** Keys: 1–1024 UTF-8 bytes. */
  MAX_KEY_BYTES: 1024,
  /** Non-stream values: the runtime's 30 MiB guard (31,457,280 bytes). */
  MAX_VALUE_BYTES: 30 * 1024 * 1024,
  /** Metadata: 1000 bytes as documented for the JS API; the REST API documents 2000. Configurable per store. */
  DEFAULT_METADATA_BYTES: 1000,
  REST_METADATA_BYTES: 2000,
  /** ttl must be below 2^32 seconds. */
  MAX_TTL_SECONDS: 4294967296,
  /** list() returns at most this many keys when no limit is given (Viceroy's default). */
  DEFAULT_LIST_LIMIT: 1000,
  /** Compute's lookup buffer: metadata larger than this cannot be read back. */
  MAX_READABLE_METADATA_BYTES: 69000,
} as const;

/** Characters a key may not contain, with the word the runtime uses for each in its message. */
export const FORBIDDEN_KEY_CHARACTERS: ReadonlyMap<string, string> = new Map([
  ["\n", "newline"],
  ["\r", "carriage return"],
  ["^", "^"],
  ["|", "|"],
  [";", ";"],
  ["?", "?"],
  ["#", "#"],
]);

export const ACME_CHALLENGE_PREFIX = ".well-known/acme-challenge/";
