/**
 * Try the prototype: `node --import tsx examples/browser/serve.ts`, then open the printed address.
 * Serves the page on 127.0.0.1 only (PORT, default 5178). Ctrl-C stops it.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { buildPage, pageHandler } from "./build.js";

const server = createServer(pageHandler(await buildPage()));
server.listen(Number(process.env.PORT ?? 5178), "127.0.0.1", () => {
  console.log(`Link shortener prototype: http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});
