import { MemoryDriver } from "edge-kv";
import { describe } from "vitest";
import { modelBasedTests } from "./model-run.js";

describe("model-based: memory driver through KVStore and the admin API", () => {
  modelBasedTests("memory", () => ({ driver: new MemoryDriver() }), { sequences: 100, maxCommands: 60, concurrent: true });
  // The same sequences where Fastly's local server (Viceroy) differs from Compute.
  modelBasedTests("memory", () => ({ driver: new MemoryDriver() }), { sequences: 60, maxCommands: 60, concurrent: true, profile: "viceroy" });
});
