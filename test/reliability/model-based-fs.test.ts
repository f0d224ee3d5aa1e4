import { afterAll, describe } from "vitest";
import { fsFactory, temporaryRoot } from "./fs-support.js";
import { modelBasedTests } from "./model-run.js";

const { root, remove } = temporaryRoot("model");
afterAll(remove);

describe("model-based: filesystem driver through KVStore and the admin API, with close/reopen", () => {
  // compactAfterBytes: 256 makes sequences compact the log often, so compaction is part of every run.
  modelBasedTests("fs relaxed", fsFactory(root, "relaxed", { compactAfterBytes: 256 }), { sequences: 40, maxCommands: 40, reopen: true });
  // Two drivers open on one folder at once (two processes), the sequence hopping between them.
  modelBasedTests("fs relaxed, two drivers", fsFactory(root, "relaxed", { compactAfterBytes: 256, twin: true }), { sequences: 40, maxCommands: 40, twin: true });
  modelBasedTests("fs durable", fsFactory(root, "durable", { compactAfterBytes: 256 }), { sequences: 10, maxCommands: 30, reopen: true });
});
