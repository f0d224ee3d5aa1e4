/**
 * A server for the HTTP benchmark, in its own process: `--mode bare` is a node:http server writing a
 * fixed response; `--mode dev` is `edge-kv dev` (startDev, request log included) serving an app that
 * answers the same response. Prints `listening <url>` on stderr once it listens; answers an IPC message
 * with the CPU time it has used.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { startDev } from "../../src/cli/dev.js";
import { parseArgs } from "../lib/harness.js";

const mode = parseArgs(process.argv.slice(2)).get("mode");
// The CPU time this process has used, on request (run.ts asks before and after each slice).
process.on("message", () => {
  const { user, system } = process.cpuUsage();
  process.send!({ cpuMicros: user + system });
});
if (mode === "bare") {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain;charset=UTF-8", "content-length": "5" });
    res.end("hello");
  });
  server.listen(0, "127.0.0.1", () => process.stderr.write(`listening http://127.0.0.1:${(server.address() as AddressInfo).port}\n`));
} else if (mode === "dev") {
  const root = join(process.cwd(), ".bench-tmp", "host-app");
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "index.js"), 'addEventListener("fetch", (event) => event.respondWith(new Response("hello")));\n');
  const dev = await startDev({ entry: "index.js", root, port: 0, host: "127.0.0.1", data: undefined, fastlyToml: undefined, maxMetadataBytes: undefined, watch: false });
  process.stderr.write(`listening ${dev.url}\n`);
} else {
  throw new Error(`--mode bare|dev, got ${mode}`);
}
