/**
 * Writes as fast as it can until another process writes the key "done" (or 15 s pass), then prints
 * why it stopped. Prints "busy" once its first writes are in. Usage: busy-writer.ts <directory>
 */
import { FileSystemDriver } from "edge-kv/node";
import { writeRecord } from "../../contract/plans.js";

const driver = new FileSystemDriver({ directory: process.argv[2]!, durability: "relaxed" });
const deadline = Date.now() + 15_000;
let n = 0;
for (; Date.now() < deadline; n++) {
  await writeRecord(driver, `busy-${n % 50}`, { value: new Uint8Array(100), metadata: null, generation: n + 1, expiresAt: null, lastModified: 0, contentType: null });
  if (n === 100) process.stdout.write("busy\n");
  if (n % 100 === 0 && (await driver.read("done")) !== null) break;
}
await driver.close();
process.stdout.write(Date.now() < deadline ? "stopped: done\n" : "stopped: deadline\n");
