/**
 * edge-kv/testing: helpers for testing code written against `fastly:kv-store` (web-standard).
 *
 *   const kv = createTestKv({ stores: { sessions: { seed: { "s:1": "alice" } } } });
 *   beforeEach(() => kv.reset());              // every test starts from the seed
 *   kv.advanceSeconds(3600);                   // TTLs expire on the fake clock
 *   kv.failNext("sessions", { operation: "insert" }); // next put: TypeError 'KVStore insert: Too many requests.'
 *   await kv.entries("sessions");              // read back keys, values, metadata, generations, expiry
 *
 * With the edgeKv() Vitest plugin, `getTestKv()` returns the one built from fastly.toml / options.
 */
export { TestKv, createTestKv } from "./test-kv.js";
export type { TestKvOptions, TestStoreDefinition } from "./test-kv.js";
export { configureTestKv, getTestKv, clearCurrentTestKv } from "./current.js";
export type { ConfiguredKv, ConfiguredStore } from "./current.js";
export type { ConsistencyOptions, FaultOptions, LatencyOptions, OperationFilter, OperationName, OperationRecord, RuleHandle } from "./controller.js";
export { FakeClock } from "../clock.js";
export { installGlobals, uninstallGlobals } from "../shim/globals.js";
