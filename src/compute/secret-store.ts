/**
 * `fastly:secret-store`: SecretStore, SecretStoreEntry and SecretStore.fromBytes, on the registry's
 * secret stores. As on Compute (§4 of compute-app-host.md): a bad receiver, a missing argument or a key
 * whose ToString throws fail synchronously; key rule violations come back as rejected promises; a
 * missing secret resolves null, and the promise is already settled when get() returns.
 */
import { Messages } from "../messages.js";
import { getRegistry } from "../registry.js";
import { fixShape } from "../shape.js";
import { decodeUtf8Strict, toWellFormed } from "../utf8.js";
import { isInitializing } from "./context.js";
import { ComputeMessages } from "./messages.js";
import { secretKeyError, secretStoreNameError } from "./rules.js";
import type { SecretStoreAdmin } from "./resources.js";
import { createSlot } from "./slot.js";

export interface SecretStoreEntry {
  /** The secret as a UTF-8 string (invalid UTF-8 is a TypeError, as on Compute). */
  plaintext(): string;
  /** A new Uint8Array of the secret's bytes on every call. */
  rawBytes(): Uint8Array<ArrayBuffer>;
}
export interface SecretStoreEntryConstructor {
  readonly prototype: SecretStoreEntry;
}

export interface SecretStore {
  get(key: string): Promise<SecretStoreEntry | null>;
}
export interface SecretStoreConstructor {
  new (name: string): SecretStore;
  readonly prototype: SecretStore;
  /** A local entry holding a copy of `bytes` (for APIs that take a SecretStoreEntry). */
  fromBytes(bytes: ArrayBufferView | ArrayBuffer): SecretStoreEntry;
}

const entrySlot = createSlot<Uint8Array>("SecretStoreEntry");
const storeSlot = createSlot<SecretStoreAdmin>("SecretStore");
const INTERNAL = Symbol("edge-kv secret entry");

const byteLengthOf = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, "byteLength")!.get!;

function isArrayBuffer(value: unknown): value is ArrayBuffer {
  if (value === null || typeof value !== "object") return false;
  try {
    byteLengthOf.call(value);
    return true;
  } catch {
    return false;
  }
}

// SecretStoreEntry: never constructible by users (with or without `new`).
const SecretStoreEntryFunction = function (this: unknown, token?: unknown, bytes?: Uint8Array): void {
  if (token !== INTERNAL || !new.target) throw new Error(ComputeMessages.secretEntryNotConstructible);
  entrySlot.attach(this as object, bytes!);
};

function createEntry(bytes: Uint8Array): SecretStoreEntry {
  return new (SecretStoreEntryFunction as unknown as new (token: symbol, bytes: Uint8Array) => SecretStoreEntry)(INTERNAL, bytes);
}

const entryMethods = {
  plaintext(this: unknown): string {
    return decodeUtf8Strict(entrySlot.get(this, "plaintext"));
  },
  rawBytes(this: unknown): Uint8Array<ArrayBuffer> {
    return entrySlot.get(this, "rawBytes").slice() as Uint8Array<ArrayBuffer>;
  },
};

function SecretStoreFunction(this: unknown, name?: unknown): void {
  if (isInitializing()) throw new TypeError(ComputeMessages.requestOnly("SecretStore"));
  if (!new.target) throw new TypeError(ComputeMessages.constructorWithoutNew("SecretStore"));
  if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("SecretStore constructor", 1, 0));
  const storeName = toWellFormed(`${name as string}`);
  const problem = secretStoreNameError(storeName);
  if (problem) throw new TypeError(problem);
  const registry = getRegistry();
  const admin = registry.lookupSecretStore(storeName);
  if (!admin) {
    const defined = registry.secretStoreNames();
    throw new TypeError(ComputeMessages.storeNotFound("SecretStore", storeName), {
      cause: `edge-kv: no secret store named '${storeName}' is defined. ${defined.length ? `Defined secret stores: ${defined.join(", ")}.` : "No secret stores are defined."} Define it in fastly.toml [local_server.secret_stores], with registry.defineSecretStore('${storeName}', {...}), or in the edgeKv({ secretStores }) plugin options.`,
    });
  }
  storeSlot.attach(this as object, admin);
}

const storeMethods = {
  get(this: unknown, key: unknown): Promise<SecretStoreEntry | null> {
    const admin = storeSlot.get(this, "get");
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("get", 1, 0));
    const name = toWellFormed(`${key as string}`); // a throwing ToString throws synchronously
    const problem = secretKeyError(name);
    if (problem) return Promise.reject(new TypeError(problem));
    const bytes = admin.peek(name);
    return Promise.resolve(bytes === undefined ? null : createEntry(bytes.slice()));
  },
};

const staticMethods = {
  fromBytes(bytes: unknown): SecretStoreEntry {
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("SecretStore.fromBytes", 1, 0));
    if (ArrayBuffer.isView(bytes)) return createEntry(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength).slice());
    if (isArrayBuffer(bytes)) return createEntry(new Uint8Array(bytes).slice());
    throw new TypeError(ComputeMessages.fromBytesType);
  },
};

for (const [ctor, methods] of [
  [SecretStoreEntryFunction, entryMethods],
  [SecretStoreFunction, storeMethods],
] as const) {
  Object.defineProperty(ctor, "prototype", { writable: false, enumerable: false, configurable: false });
  for (const [member, value] of Object.entries(methods)) {
    Object.defineProperty(ctor.prototype, member, { value, writable: true, enumerable: true, configurable: true });
  }
}
// fromBytes sits between prototype and length in the runtime's own-key order.
delete (SecretStoreFunction as { length?: number }).length;
delete (SecretStoreFunction as { name?: string }).name;
Object.defineProperty(SecretStoreFunction, "fromBytes", { value: staticMethods.fromBytes, writable: true, enumerable: true, configurable: true });
fixShape(SecretStoreFunction, { name: "SecretStore", length: 1, members: ["get"] });
fixShape(SecretStoreEntryFunction, { name: "SecretStoreEntry", length: 0, members: ["plaintext", "rawBytes"] });

export const SecretStore = SecretStoreFunction as unknown as SecretStoreConstructor;
export const SecretStoreEntry = SecretStoreEntryFunction as unknown as SecretStoreEntryConstructor;
