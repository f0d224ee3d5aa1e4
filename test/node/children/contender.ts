/**
 * One of several processes hammering the same store folder: conditional increments of a counter
 * (read generation, write if it still matches, retry), appends to a shared log, and `add` races
 * for a set of keys. Waits for a "go" file so all contenders start together, then prints one JSON
 * line with what it did.
 * Usage: contender.ts <directory> <id> <iterations> <go-file>
 */
import { existsSync } from "node:fs";
import { KVError, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";

const [directory, id, iterationsText, goFile] = process.argv.slice(2);
const iterations = Number(iterationsText);
const registry = new KVRegistry();
const admin = registry.defineStore("shared", { driver: new FileSystemDriver({ directory: directory!, durability: "relaxed" }) });
setRegistry(registry);
const store = new KVStore("shared");

process.stdout.write("ready\n");
for (let i = 0; i < 2000 && !existsSync(goFile!); i++) await new Promise((resolve) => setTimeout(resolve, 5));

let conflicts = 0;
const wins: string[] = [];
for (let n = 0; n < iterations; n++) {
  // Conditional increment: a lost update would show as a final count below the total.
  for (let attempt = 0; ; attempt++) {
    if (attempt > 10_000) throw new Error("counter never settled");
    const current = await admin.inspect("counter");
    try {
      if (current === null) await admin.put("counter", "1", { mode: "add" });
      else await admin.put("counter", String(Number(current.text) + 1), { ifGenerationMatch: current.generation });
      break;
    } catch (error) {
      if (!(error instanceof KVError && error.code === "precondition-failed")) throw error;
      conflicts++;
    }
  }
  await store.put("log", `${id}:${n},`, { mode: "append" });
  await store.put("prepended", `${id}:${n},`, { mode: "prepend" });
  const race = `once-${n % 10}`;
  try {
    await store.put(race, id!, { mode: "add" });
    wins.push(race);
  } catch (error) {
    if (!(error instanceof TypeError && error.message === "KVStore insert: Precondition failed.")) throw error;
  }
}
await registry.reset();
process.stdout.write(`${JSON.stringify({ id, wins, conflicts })}\n`);
