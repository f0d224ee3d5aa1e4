/**
 * `fastly:env`: `env(name)` returns the registry's environment value (Viceroy's FASTLY_* defaults,
 * the host's per-request values, values set by tests or config), or undefined. It is the same function
 * as `fastly.env.get` on the runtime's `fastly` global: name "get", length 1, not a constructor.
 */
import { Messages } from "../messages.js";
import { getRegistry } from "../registry.js";
import { toWellFormed } from "../utf8.js";

const envObject = {
  get(name: string): string | undefined {
    if (arguments.length < 1) throw new TypeError(Messages.notEnoughArguments("fastly.env.get", 1, 0));
    return getRegistry().env.get(toWellFormed(`${name}`));
  },
};

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
