/** The Vite plugin serves the explorer at /_edge-kv/ of the dev server, over the stores of the Vite process. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { createServer } from "vite";
import { afterAll, expect, it } from "vitest";
import { resetRegistry } from "edge-kv";
import { edgeKv } from "edge-kv/vite";

const root = mkdtempSync(join(tmpdir(), "edge-kv-vite-explorer-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it("answers /_edge-kv/ and /_edge-kv/api/ and prints the explorer URL with the server's", async () => {
  resetRegistry().defineStore("sessions");
  const info: string[] = [];
  const server = await createServer({
    root,
    configFile: false,
    logLevel: "info",
    customLogger: { info: (text: string) => info.push(text), warn() {}, warnOnce() {}, error() {}, clearScreen() {}, hasErrorLogged: () => false, hasWarned: false },
    server: { port: 0, host: "127.0.0.1", ws: false },
    plugins: [edgeKv({ fastlyToml: false, stores: {} })],
  });
  try {
    await server.listen();
    const origin = `http://127.0.0.1:${(server.httpServer!.address() as AddressInfo).port}`;
    const page = await fetch(`${origin}/_edge-kv/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<title>edge-kv explorer</title>");
    expect(await (await fetch(`${origin}/_edge-kv/api/stores`)).json()).toMatchObject({ stores: [{ name: "sessions", keys: 0 }] });
    server.printUrls();
    expect(info.join("\n")).toContain(`edge-kv explorer: ${origin}/_edge-kv/`);
  } finally {
    await server.close();
  }
});
