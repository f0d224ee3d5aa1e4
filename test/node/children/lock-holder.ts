/**
 * Takes a store folder's lock, says "held", keeps it until a "go" file appears, releases it (ringing
 * whoever waits) and says "released".
 * Usage: lock-holder.ts <directory> <go-file>
 */
import { existsSync } from "node:fs";
import { FolderLock } from "../../../src/node/fs-lock.js";

const [directory, goFile] = process.argv.slice(2);
const lock = new FolderLock(directory!, { staleMs: 3_600_000, timeoutMs: 10_000 });
await lock.acquire();
process.stdout.write("held\n");
for (let i = 0; i < 4000 && !existsSync(goFile!); i++) await new Promise((resolve) => setTimeout(resolve, 5));
await lock.release();
process.stdout.write("released\n");
await lock.dispose();
