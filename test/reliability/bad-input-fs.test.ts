import type { FileSystemDriver } from "edge-kv/node";
import { afterAll } from "vitest";
import { badInputTests } from "./bad-input.js";
import { fsFactory, snapshotFolder, temporaryRoot } from "./fs-support.js";

const { root, remove } = temporaryRoot("bad-input");
afterAll(remove);

// Besides the driver's records, every byte of every file in the store folder must be unchanged.
const factory = fsFactory(root, "durable");
badInputTests("fs durable", factory, { inputs: 150, dumpFiles: async (subject) => snapshotFolder((subject.driver as FileSystemDriver).directory) });
