/**
 * Every message the `fastly:kv-store` surface produces, verbatim from the Compute runtime
 * (../shared/reference/fastly-kv-store.md). Tests import this table so a message lives in one place.
 */
export const Messages = {
  constructorWithoutNew: "calling a builtin KVStore constructor without new is forbidden",
  notEnoughArguments: (fn: string, required: number, passed: number) =>
    `${fn}: At least ${required} argument${required === 1 ? "" : "s"} required, but only ${passed} passed`,
  wrongReceiver: (method: string, className: string) =>
    `Method '${method}' called on receiver that's not an instance of ${className}`,
  storeNameEmpty: "KVStore constructor: name can not be an empty string",
  storeNameTooLong: "KVStore constructor: name can not be more than 255 characters",
  storeNameControl: "KVStore constructor: name can not contain control characters (\\u0000-\\u001F)",
  storeNotFound: (name: string) => `KVStore constructor: No KVStore named '${name}' exists`,

  keyEmpty: "KVStore key can not be an empty string",
  keyTooLong: "KVStore key can not be more than 1024 characters",
  keyForbiddenCharacter: (word: string) => `KVStore key can not contain ${word} character`,
  keyAcmeChallenge: "KVStore key can not start with .well-known/acme-challenge/",
  keyDots: "KVStore key can not be '.' or '..'",

  ttlNaN: "KVStore.put: ttl is not a valid number",
  ttlNegative: "KVStore.put: ttl can not be a negative number",
  ttlTooLarge: "KVStore.put: ttl is above the maximum of 4294967296",
  genNotInteger: "KVStore.insert: gen must be an integer",
  metadataType: "KVStore.put metadata: bytes must be an ArrayBuffer or ArrayBufferView object",
  metadataTooLarge: (limit: number) => `KVStore.put: metadata can not be more than ${limit} bytes`,
  valueTooLarge: "KVStore value can not be more than 30 Megabytes in size",
  streamLocked: "Can't use a ReadableStream that's locked or has ever been read from or canceled",
  contentStream: "Content-provided streams are not yet supported for streaming into KVStore",

  listOptionsNotObject: "KVStore.list: options must be an object",
  listCursorType: "KVStore.list: cursor must be a string",
  listLimitType: "KVStore.list: limit must be an integer",
  listPrefixType: "KVStore.list: prefix must be a string",
  listNoSyncType: "KVStore.list: noSync must be a boolean",

  entryNotConstructible: "KVStoreEntry can't be instantiated directly",
  bodyConsumed: "Body has already been consumed",

  /** `KVStore <operation>: <detail>` for failures reported by the store (always TypeError). */
  kvError: (operation: "lookup" | "insert" | "delete" | "list", detail: string) => `KVStore ${operation}: ${detail}`,
  /** Host-call failures outside the KV wait path (plain Error, note the trailing newline). */
  hostInvalidArgument: (fn: string) => `${fn}: Invalid argument.\n`,
  /** The host's BADF, e.g. reading a body whose handle a store took: plain Error, trailing newline. */
  hostInvalidHandle: (fn: string) => `${fn}: Invalid handle. Thrown when a request, response, dictionary, or body handle is not valid.\n`,
} as const;

/** Store-level failure codes and the runtime's wording for each. */
export const KVErrorDetails = {
  "bad-request": "Bad request.",
  "not-found": "Not found.",
  "precondition-failed": "Precondition failed.",
  "payload-too-large": "Payload too large.",
  "internal-error": "Internal error.",
  "too-many-requests": "Too many requests.",
} as const;

export type KVErrorCode = keyof typeof KVErrorDetails;
