import { afterAll } from "vitest";
import type { KVDriver } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { describeDriverContract } from "../contract/driver-contract.js";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

describeDriverContract("filesystem (durable)", () => new FileSystemDriver({ directory: tempFolder() }), {
  reopen: (driver: KVDriver) => new FileSystemDriver({ directory: (driver as FileSystemDriver).directory }),
  cleanup: (driver: KVDriver) => driver.close?.(),
});

describeDriverContract("filesystem (relaxed)", () => new FileSystemDriver({ directory: tempFolder(), durability: "relaxed" }), {
  reopen: (driver: KVDriver) => new FileSystemDriver({ directory: (driver as FileSystemDriver).directory, durability: "relaxed" }),
  cleanup: (driver: KVDriver) => driver.close?.(),
});
