/**
 * `npm run example`: serves the link shortener exactly as `npx edge-kv dev` does in the app's folder —
 * its real entry (src/index.ts, a fetch-event listener) runs through edge-kv's app host on in-memory
 * stores seeded from its fastly.toml — makes a few requests, prints them, and keeps serving.
 *
 *   npm run example                 # the demo, then keep serving on http://127.0.0.1:7676
 *                                   # (--port N to change, --no-demo to skip the demo)
 *   npm run example -- --demo       # the demo only, then exit
 */
import { fileURLToPath } from "node:url";
// In your project: `npx edge-kv dev` (this is the function behind it).
import { startDev, type DevOutput } from "../../src/cli/dev.js";
import { LOCAL_SERVER } from "../../src/host/messages.js";

const here = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const demoMode = args.includes("--demo");
const portIndex = args.indexOf("--port");
const port = demoMode ? 0 : Number(portIndex >= 0 ? args[portIndex + 1] : LOCAL_SERVER.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port takes a port number from 0 to 65535, got ${args[portIndex + 1]}`);
  process.exit(2);
}

// Request log lines wait until the demo has printed its own.
let quiet = true;
const output: DevOutput = {
  log: (line) => void (quiet || console.log(line)),
  error: (message, error) => console.error(message, ...(error === undefined ? [] : [error])),
};

const dev = await startDev({ entry: "src/index.ts", root: here, port, host: LOCAL_SERVER.host, data: undefined, fastlyToml: `${here}fastly.toml`, maxMetadataBytes: undefined, watch: false }, output);
const links = Object.keys(await dev.registry.store("links").snapshot()).length;
console.log(`edge-kv example: the link shortener (examples/compute-app/src/index.ts) on the in-memory store 'links' with ${links} links from its fastly.toml`);
console.log(`serving it through edge-kv's app host (as npx edge-kv dev does) on ${dev.url}`);

async function demo(origin: string): Promise<void> {
  const steps: Array<[string, string, unknown?]> = [
    ["GET", "/"],
    ["POST", "/links", { url: "https://github.com/", slug: "gh", ttl: 3600, note: "made by the demo" }],
    ["POST", "/links", { url: "https://example.com/", slug: "gh" }],
    ["GET", "/gh"],
    ["GET", "/links/gh"],
    ["GET", "/links?limit=2"],
    ["DELETE", "/links/gh"],
    ["GET", "/gh"],
  ];
  for (const [method, path, body] of steps) {
    const response = await fetch(origin + path, {
      method,
      redirect: "manual",
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    const text = await response.text();
    const location = response.headers.get("location");
    console.log(`→ ${method} ${path}${body === undefined ? "" : ` ${JSON.stringify(body)}`}`);
    console.log(`← ${response.status}${location ? ` location: ${location}` : ""}${text ? ` ${text}` : ""}`);
  }
}

if (!args.includes("--no-demo")) {
  try {
    await demo(dev.url);
  } finally {
    if (demoMode) await dev.close();
  }
  console.log("demo done: every request above went through the app's fetch listener and fastly:kv-store, served by edge-kv");
  if (demoMode) process.exit(0);
}
quiet = false;
console.log("the three steps, in your own app's folder:");
console.log("  test it:     npx vitest run                 (test/app.test.ts sends it requests with loadApp(...).fetch)");
console.log(`  serve it:    npx edge-kv dev                (what this command is doing now: ${dev.url})`);
console.log(`  inspect it:  open ${dev.url}/_edge-kv/ (the explorer: what the app wrote, edit, import, export)`);
console.log(`try:  curl -i ${dev.url}/home`);
console.log(`      curl -i -X POST ${dev.url}/links -d '{"url":"https://example.com","slug":"ex","ttl":60}'`);
console.log("Ctrl-C to stop");
const stop = () => void dev.close().finally(() => process.exit(0));
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
