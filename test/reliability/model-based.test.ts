import { MemoryDriver } from "edge-kv";
import { describe } from "vitest";
import { modelBasedTests } from "./model-run.js";

describe("model-based: memory driver through KVStore and the admin API", () => {
  modelBasedTests("memory", () => ({ driver: new MemoryDriver() }), { sequences: 100, maxCommands: 60, concurrent: true });
});
