/**
 * `fastly:config-store` (ConfigStore) and the deprecated `fastly:dictionary` (Dictionary): both read the
 * registry's config stores, as on Viceroy and Compute. Synchronous: every failure is a throw. They differ
 * only where the runtime does (§3 of compute-app-host.md): ConfigStore replaces a failed ToString with its
 * "empty string" TypeError and reads an empty name as a bad first character; Dictionary rethrows and reads
 * values through a fixed 8000-byte buffer.
 */
import { Messages } from "../messages.js";
import { getRegistry } from "../registry.js";
import { fixShape } from "../shape.js";
import { toWellFormed, utf8ByteLength } from "../utf8.js";
import type { ConfigStoreAdmin } from "./resources.js";
import { isInitializing } from "./context.js";
import { ComputeMessages, type ConfigClass } from "./messages.js";
import { configStoreKeyError, configStoreNameError } from "./rules.js";
import { createSlot } from "./slot.js";

/** The Dictionary host call's buffer: longer values fail with a BUFFER_LEN error. */
const DICTIONARY_ENTRY_MAX_BYTES = 8000;

export interface ConfigStore {
  /** The value of `key`, or null when the store has no such key. */
  get(key: string): string | null;
}
export interface ConfigStoreConstructor {
  new (name: string): ConfigStore;
  readonly prototype: ConfigStore;
}

/** @deprecated Use ConfigStore (`fastly:config-store`), as Fastly's own types say. */
export interface Dictionary {
  get(key: string): string | null;
}
/** @deprecated Use ConfigStore. */
export interface DictionaryConstructor {
  new (name: string): Dictionary;
  readonly prototype: Dictionary;
}

function define(builtin: ConfigClass): Function {
  const slot = createSlot<ConfigStoreAdmin>(builtin);
  const replaceFailedToString = builtin === "ConfigStore";

  function toText(value: unknown, replacement: string): string {
    if (!replaceFailedToString) return toWellFormed(`${value as string}`);
    try {
      return toWellFormed(`${value as string}`);
    } catch {
      throw new TypeError(replacement);
    }
  }

  const Constructor = function (this: unknown, name?: unknown): void {
    if (isInitializing()) throw new TypeError(ComputeMessages.requestOnly(builtin));
    if (!new.target) throw new TypeError(ComputeMessages.constructorWithoutNew(builtin));
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments(`${builtin} constructor`, 1, 0));
    const storeName = toText(name, ComputeMessages.nameEmpty(builtin));
    const problem = configStoreNameError(builtin, storeName);
    if (problem) throw new TypeError(problem);
    const registry = getRegistry();
    const admin = registry.lookupConfigStore(storeName);
    if (!admin) {
      const defined = registry.configStoreNames();
      throw new TypeError(ComputeMessages.storeNotFound(builtin, storeName), {
        cause: `edge-kv: no config store named '${storeName}' is defined. ${defined.length ? `Defined config stores: ${defined.join(", ")}.` : "No config stores are defined."} Define it in fastly.toml [local_server.config_stores], with registry.defineConfigStore('${storeName}', {...}), or in the edgeKv({ configStores }) plugin options.`,
      });
    }
    slot.attach(this as object, admin);
  };

  const methods = {
    get(this: unknown, key: unknown): string | null {
      const admin = slot.get(this, "get");
      if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("get", 1, 0));
      const name = toText(key, ComputeMessages.keyEmpty(builtin));
      const problem = configStoreKeyError(builtin, name);
      if (problem) throw new TypeError(problem);
      const value = admin.get(name);
      if (value !== null && !replaceFailedToString && value.length > DICTIONARY_ENTRY_MAX_BYTES / 3 && utf8ByteLength(value) > DICTIONARY_ENTRY_MAX_BYTES) {
        throw new Error(ComputeMessages.bufferTooLong("get"));
      }
      return value;
    },
  };

  Object.defineProperty(Constructor, "prototype", { writable: false, enumerable: false, configurable: false });
  Object.defineProperty(Constructor.prototype, "get", { value: methods.get, writable: true, enumerable: true, configurable: true });
  fixShape(Constructor, { name: builtin, length: 1, members: ["get"] });
  return Constructor;
}

export const ConfigStore = define("ConfigStore") as unknown as ConfigStoreConstructor;
/** @deprecated Use ConfigStore. */
export const Dictionary = define("Dictionary") as unknown as DictionaryConstructor;
