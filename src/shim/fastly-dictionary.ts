/**
 * `fastly:dictionary` as the Compute runtime's module exports it: the deprecated `Dictionary`, reading
 * the same config stores as `fastly:config-store`.
 */
export { Dictionary } from "../compute/config-store.js";
