import { MemoryDriver } from "edge-kv";
import { afterAll, describe } from "vitest";
import { modelBasedTests } from "./model-run.js";
import { fsFactory, temporaryRoot } from "./fs-support.js";
import { attachRest, restCommandArbs } from "./rest-commands.js";

const { root, remove } = temporaryRoot("model-rest");
afterAll(remove);

describe("model-based: the REST surface and KVStore on one store, in the same sequences", () => {
  modelBasedTests("memory + REST", () => ({ driver: new MemoryDriver() }), { sequences: 40, maxCommands: 40, extra: restCommandArbs(), prepare: attachRest });
  modelBasedTests("fs + REST", fsFactory(root, "relaxed"), { sequences: 15, maxCommands: 30, extra: restCommandArbs(), prepare: attachRest });
});
