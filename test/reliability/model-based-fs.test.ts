import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSystemDriver, type Durability } from "edge-kv/node";
import { afterAll, describe } from "vitest";
import { modelBasedTests } from "./model-run.js";

const root = mkdtempSync(join(tmpdir(), "edge-kv-model-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let folders = 0;

function fsFactory(durability: Durability) {
  return () => {
    const directory = join(root, `store-${++folders}`);
    const open = () => new FileSystemDriver({ directory, durability, storeName: "reliability", compactAfterBytes: 256 });
    return { driver: open(), reopen: open, cleanup: () => rmSync(directory, { recursive: true, force: true }) };
  };
}

describe("model-based: filesystem driver through KVStore and the admin API, with close/reopen", () => {
  // compactAfterBytes: 256 makes sequences compact the log often, so compaction is part of every run.
  modelBasedTests("fs relaxed", fsFactory("relaxed"), { sequences: 40, maxCommands: 40, reopen: true });
  modelBasedTests("fs durable", fsFactory("durable"), { sequences: 10, maxCommands: 30, reopen: true });
});
