/**
 * `fastly:env` as the Compute runtime's module exports it: `env(name)`, returning the active registry's
 * environment (Viceroy's FASTLY_* values by default; see registry.env and edge-kv/testing's kv.env).
 */
export { env } from "../compute/env.js";
