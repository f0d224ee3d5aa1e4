/**
 * `fastly:env`: `env(name)` returns the registry's environment value (Viceroy's FASTLY_* defaults,
 * the host's per-request values, values set by tests or config), or undefined. It is the same function
 * as `fastly.env.get` on the runtime's `fastly` global: name "get", length 1, not a constructor.
 */
import { Messages } from "../messages.js";
import { getRegistry } from "../registry.js";
import { encodeUtf8, toWellFormed } from "../utf8.js";

const envObject = {
  get(name: string): string | undefined {
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("fastly.env.get", 1, 0));
    // As Env::env_get: the UTF-8 name is looked up as a C string (it ends at a NUL), and the value's
    // bytes become a string one byte per character (JS_NewStringCopyN reads Latin-1), up to a NUL.
    let key = toWellFormed(`${name}`);
    const nul = key.indexOf("\0");
    if (nul !== -1) key = key.slice(0, nul);
    const value = getRegistry().env.get(key);
    return value === undefined ? undefined : asRuntimeString(value);
  },
};

/** The string the runtime makes of an environment value: its UTF-8 bytes as Latin-1 characters. */
function asRuntimeString(value: string): string {
  const nul = value.indexOf("\0");
  const text = nul === -1 ? value : value.slice(0, nul);
  if (/^[\x00-\x7f]*$/.test(text)) return text;
  let out = "";
  for (const byte of encodeUtf8(toWellFormed(text))) out += String.fromCharCode(byte);
  return out;
}

/** The value of the environment variable `name`, or undefined when it does not exist. */
export const env: (name: string) => string | undefined = envObject.get;

/** The part of the runtime's `fastly` global that edge-kv provides: `fastly.env.get`. */
export interface FastlyGlobal {
  readonly env: { get(name: string): string | undefined };
}

/** A `fastly` object as the runtime installs it (an enumerable `env` getter returning one `{ get }` object). */
export const fastly: FastlyGlobal = Object.defineProperty({} as FastlyGlobal, "env", {
  get() {
    return envObject;
  },
  enumerable: true,
  configurable: true,
});
