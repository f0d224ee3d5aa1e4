/**
 * One of several processes hammering the same store folder: conditional increments of a counter
 * (read generation, write if it still matches, retry), appends to a shared log, and `add` races
 * for a set of keys. Waits for a "go" file so all contenders start together, then prints one JSON
 * line with what it did.
 * Usage: contender.ts <directory> <id> <iterations> <go-file>
 */
import { existsSync } from "node:fs";
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { contend } from "../../contract/contend.js";
import { FileSystemDriver } from "edge-kv/node";

const [directory, id, iterationsText, goFile] = process.argv.slice(2);
const iterations = Number(iterationsText);
const registry = new KVRegistry();
const admin = registry.defineStore("shared", { driver: new FileSystemDriver({ directory: directory!, durability: "relaxed" }) });
setRegistry(registry);
const store = new KVStore("shared");

process.stdout.write("ready\n");
for (let i = 0; i < 2000 && !existsSync(goFile!); i++) await new Promise((resolve) => setTimeout(resolve, 5));

const { wins, conflicts } = await contend(admin, store, id!, iterations);
await registry.reset();
process.stdout.write(`${JSON.stringify({ id, wins, conflicts })}\n`);
