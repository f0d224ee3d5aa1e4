/**
 * Every message the `fastly:config-store`, `fastly:dictionary`, `fastly:secret-store` and `fastly:env`
 * surfaces produce, verbatim from the Compute runtime (typos included: "alpabetical", and the secret
 * store's text that mentions whitespace and omits periods). Source: js-compute-runtime
 * `runtime/fastly/host-api/error_numbers.msg`, `builtins/{config-store,dictionary,secret-store,fastly}.cpp`
 * (../shared/reference/compute-app-host.md §2–§4). Shared wordings (missing arguments, wrong receiver)
 * come from ../messages.ts.
 */
export type ConfigClass = "ConfigStore" | "Dictionary";

export const ComputeMessages = {
  /** The request-time-only guard of the store constructors (KVStore too). */
  requestOnly: (builtin: string) => `The ${builtin} builtin can only be used during request handling, not during initialization`,
  constructorWithoutNew: (builtin: string) => `calling a builtin ${builtin} constructor without new is forbidden`,

  nameEmpty: (builtin: string) => `${builtin} constructor: name can not be an empty string`,
  nameTooLong: (builtin: string) => `${builtin} constructor: name can not be more than 255 characters`,
  nameStartAlpha: (builtin: string) => `${builtin} constructor: name must start with an ascii alpabetical character`,
  configNameCharacters: (builtin: ConfigClass) =>
    `${builtin} constructor: name can contain only ascii alphanumeric characters, underscores, and ascii whitespace`,
  secretNameCharacters: "SecretStore constructor: name can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace",
  storeNotFound: (builtin: string, name: string) => `${builtin} constructor: No ${builtin} named '${name}' exists`,

  keyEmpty: (builtin: string) => `${builtin} key can not be an empty string`,
  keyTooLong: (builtin: string) => `${builtin} key can not be more than 255 characters`,
  secretKeyCharacters: "SecretStore key can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace",

  /** Host BUFFER_LEN error: Dictionary reads values through a fixed 8000-byte buffer. Plain Error, trailing newline. */
  bufferTooLong: (fn: string) => `${fn}: Buffer length error. Buffer is too long.\n`,

  secretEntryNotConstructible: "SecretStoreEntry can't be instantiated directly",
  fromBytesType: "SecretStore.fromBytes: bytes must be an ArrayBuffer or ArrayBufferView object",
} as const;
