/**
 * Runs the link shortener locally: a Node HTTP server hands each request to the app's fetch handler,
 * which uses `fastly:kv-store` exactly as on Compute — resolved to edge-kv by its Node hook, on an
 * in-memory "links" store seeded with two demo links.
 *
 *   npm run example                 # make a few requests and print them, then keep serving on
 *                                   # http://127.0.0.1:8787 (--port N to change, --no-demo to skip them)
 *   npm run example -- --demo       # make the requests, print them, exit
 */
import "../../src/shim/register.js"; // in your project: node --import edge-kv/register serve.js
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { getRegistry } from "../../src/index.js";

// Imported after the hook is registered, so its `import ... from "fastly:kv-store"` resolves.
const { handleRequest, STORE_NAME } = await import("./src/app.js");

const DEMO_LINKS: Record<string, { value: string; metadata: string }> = {
  "link:docs": { value: "https://www.fastly.com/documentation/guides/concepts/edge-state/data-stores/", metadata: '{"created":"2025-01-01T00:00:00.000Z","note":"KV store docs"}' },
  "link:home": { value: "https://www.fastly.com/", metadata: '{"created":"2025-01-01T00:00:00.000Z"}' },
};

/** The embedded default store, unless fastly.toml (via edge-kv/register) already defined one. */
async function ensureStore(): Promise<string> {
  const registry = getRegistry();
  if (registry.hasStore(STORE_NAME)) return `store '${STORE_NAME}' from fastly.toml`;
  await registry.defineStore(STORE_NAME).seed(DEMO_LINKS);
  return `embedded in-memory store '${STORE_NAME}' with ${Object.keys(DEMO_LINKS).length} demo links`;
}

async function toRequest(message: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(message.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  let body: Uint8Array<ArrayBuffer> | undefined;
  if (message.method !== "GET" && message.method !== "HEAD") {
    const chunks: Buffer[] = [];
    for await (const chunk of message) chunks.push(chunk as Buffer);
    body = new Uint8Array(Buffer.concat(chunks));
  }
  return new Request(new URL(message.url ?? "/", origin), { method: message.method, headers, body });
}

async function respond(message: IncomingMessage, reply: ServerResponse, origin: string): Promise<void> {
  let response: Response;
  try {
    response = await handleRequest(await toRequest(message, origin));
  } catch (error) {
    console.error(error);
    response = new Response("internal error\n", { status: 500 });
  }
  reply.writeHead(response.status, Object.fromEntries(response.headers));
  reply.end(new Uint8Array(await response.arrayBuffer()));
}

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

const args = process.argv.slice(2);
const demoMode = args.includes("--demo");
const portIndex = args.indexOf("--port");
const port = demoMode ? 0 : Number(portIndex >= 0 ? args[portIndex + 1] : process.env.PORT ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port takes a port number from 0 to 65535, got ${args[portIndex + 1]}`);
  process.exit(2);
}

const storeDescription = await ensureStore();
let origin = "";
const server = createServer((message, reply) => void respond(message, reply, origin));
server.listen(port, "127.0.0.1", async () => {
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  console.log(`edge-kv example: the link shortener (examples/compute-app/src/app.ts) on ${storeDescription}`);
  console.log(`serving its fetch handler on ${origin}`);
  if (!args.includes("--no-demo")) {
    try {
      await demo(origin);
    } finally {
      if (demoMode) server.close();
    }
    console.log("demo done: every request above went through fastly:kv-store, served by edge-kv");
    if (demoMode) return;
  }
  console.log(`try:  curl -i ${origin}/home`);
  console.log(`      curl -i -X POST ${origin}/links -d '{"url":"https://example.com","slug":"ex","ttl":60}'`);
  console.log(`      curl ${origin}/links`);
  console.log("Ctrl-C to stop");
});
