/**
 * The REST server under load, on loopback only, every loop bounded in count and every wait bounded in
 * time: many concurrent connections keep being answered correctly, clients that stall half-way do
 * not block others, an oversize declared body is refused before it is sent, and idle keep-alive
 * connections are closed by the server.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KVRegistry, type StoreAdmin } from "edge-kv";
import { createServer, type RestServer } from "edge-kv/server";
import { count, printTally, runs } from "./settings.js";
import { dumpDriver } from "./support.js";

const MAX_VALUE = 64 * 1024;
let server: RestServer;
let admin: StoreAdmin;
let itemsPath: string;

beforeAll(async () => {
  const registry = new KVRegistry();
  admin = registry.defineStore("load");
  server = await createServer({ registry, limits: { maxValueBytes: MAX_VALUE } });
  const stores = (await (await fetch(`${server.url}/resources/stores/kv`)).json()) as { data: { id: string }[] };
  itemsPath = `/resources/stores/kv/${stores.data[0]!.id}/keys`;
});
afterAll(async () => {
  await server.close();
  printTally("server load");
});

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request on its own new TCP connection (no pooling), failing after `timeoutMs`. */
function send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}, timeoutMs = 15_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port: server.port, method, path, agent: false, headers, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** A raw socket that has sent `bytes` and waits: resolves what the server answered and whether it closed, within `waitMs`. */
function rawExchange(bytes: string, waitMs: number): Promise<{ received: string; closedByServer: boolean; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect(server.port, "127.0.0.1");
    let received = "";
    let settled = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ received, closedByServer, socket });
    };
    socket.on("data", (chunk) => (received += chunk.toString("latin1")));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    const timer = setTimeout(() => finish(false), waitMs);
    socket.on("connect", () => socket.write(bytes));
  });
}

describe("REST server under load (loopback, bounded)", () => {
  it("answers every one of many concurrent connections correctly: puts, reads back, lists, deletes", async () => {
    const clients = Math.min(runs(200), 1000); // bounded: a soak run raises it, never past 1000 sockets
    const keys = Array.from({ length: clients }, (_, i) => `client-${String(i).padStart(5, "0")}`);
    const puts = await Promise.all(keys.map((key) => send("PUT", `${itemsPath}/${key}`, `value of ${key}`, { metadata: key })));
    expect(puts.map((reply) => reply.status)).toEqual(keys.map(() => 200));
    const gets = await Promise.all(keys.map((key) => send("GET", `${itemsPath}/${key}`)));
    for (const [i, reply] of gets.entries()) {
      expect(reply.status).toBe(200);
      expect(reply.body).toBe(`value of ${keys[i]}`);
      expect(reply.headers.metadata).toBe(keys[i]);
    }
    const listed = await send("GET", `${itemsPath}?limit=${clients}&prefix=client-`);
    expect(JSON.parse(listed.body).data).toEqual(keys);
    const deletes = await Promise.all(keys.map((key) => send("DELETE", `${itemsPath}/${key}`)));
    expect(deletes.map((reply) => reply.status)).toEqual(keys.map(() => 204));
    expect(await admin.keys()).toEqual({ items: [], cursor: undefined });
    count("server: concurrent connections", clients * 3 + 1);
  }, 60_000);

  it("keeps answering others while many clients stall half-way through their headers or bodies", async () => {
    const stalled = Math.min(runs(50), 400);
    const before = await dumpDriver(admin.core.driver);
    const hanging = await Promise.all(
      Array.from({ length: stalled }, (_, i) =>
        rawExchange(
          i % 2 === 0
            ? `PUT ${itemsPath}/stalled-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le` // headers cut mid-line
            : `PUT ${itemsPath}/stalled-${i} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly part of the body`,
          200,
        ),
      ),
    );
    expect(hanging.every((exchange) => exchange.received === "")).toBe(true);
    const served = await Promise.all(Array.from({ length: 20 }, (_, i) => send("PUT", `${itemsPath}/meanwhile-${i}`, "ok")));
    expect(served.map((reply) => reply.status)).toEqual(served.map(() => 200));
    for (const { socket } of hanging) socket.destroy();
    // Nothing from the stalled requests was stored.
    for (let i = 0; i < 20; i++) await admin.delete(`meanwhile-${i}`);
    expect(await dumpDriver(admin.core.driver)).toBe(before);
    count("server: stalled clients", stalled);
  }, 60_000);

  it("refuses a body whose declared length is over the limit with 413 before the client sends it, and stores nothing", async () => {
    const before = await dumpDriver(admin.core.driver);
    for (const declared of [MAX_VALUE + 1, 100 * 1024 * 1024, 2 ** 40]) {
      // Only the headers and a few bytes are sent: a server that waited for the body would never answer.
      const exchange = await rawExchange(`PUT ${itemsPath}/big HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${declared}\r\n\r\nabc`, 10_000);
      expect(exchange.received.startsWith("HTTP/1.1 413 Payload Too Large\r\n")).toBe(true);
      expect(exchange.closedByServer).toBe(true);
      exchange.socket.destroy();
      count("server: oversize declared bodies");
    }
    expect(await dumpDriver(admin.core.driver)).toBe(before);
  }, 60_000);

  it("refuses an oversize chunked body with 413 as soon as it passes the limit, while the client is still sending, and stores nothing", async () => {
    const before = await dumpDriver(admin.core.driver);
    // Headers, then chunks up to twice the limit, and the body never ends: only an early answer can arrive.
    const chunk = Buffer.alloc(16 * 1024, 0x61);
    let body = "";
    for (let i = 0; i < (MAX_VALUE / chunk.length) * 2; i++) body += `${chunk.length.toString(16)}\r\n${chunk.toString("latin1")}\r\n`;
    const exchange = await rawExchange(`PUT ${itemsPath}/chunked HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n${body}`, 10_000);
    exchange.socket.destroy();
    expect(exchange.received.startsWith("HTTP/1.1 413 Payload Too Large\r\n")).toBe(true);
    expect(exchange.closedByServer).toBe(true);
    expect(await dumpDriver(admin.core.driver)).toBe(before);
    count("server: oversize chunked bodies");
  }, 30_000);

  it("cuts off clients that send nothing, trickle their headers, or stall in their body, once its timeouts pass (bounded waits)", async () => {
    const registry = new KVRegistry();
    registry.defineStore("slow");
    const strict = await createServer({ registry, headersTimeoutMs: 500, requestTimeoutMs: 1000 });
    try {
      const open = (send: (socket: Socket) => void) =>
        new Promise<{ closed: boolean; received: string }>((resolve) => {
          const socket = connect(strict.port, "127.0.0.1");
          let received = "";
          const timer = setTimeout(() => (socket.destroy(), resolve({ closed: false, received })), 10_000);
          socket.on("data", (chunk) => (received += chunk.toString("latin1")));
          socket.on("close", () => (clearTimeout(timer), resolve({ closed: true, received })));
          socket.on("error", () => undefined);
          socket.on("connect", () => send(socket));
        });
      const silent = open(() => undefined);
      const trickle = open((socket) => {
        // One header byte every 100 ms, never finishing (bounded: 100 bytes at most).
        const line = "GET /resources/stores/kv HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + "x".repeat(60);
        let at = 0;
        const tick = setInterval(() => (at < line.length && !socket.destroyed ? socket.write(line[at++]!) : clearInterval(tick)), 100);
        socket.on("close", () => clearInterval(tick));
      });
      const stalledBody = open((socket) => socket.write(`PUT /resources/stores/kv/x/keys/k HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\nonly a part`));
      const results = await Promise.all([silent, trickle, stalledBody]);
      expect(results.map((result) => result.closed)).toEqual([true, true, true]);
      // Meanwhile and afterwards, well-behaved clients are served.
      expect((await fetch(`${strict.url}/resources/stores/kv`)).status).toBe(200);
      count("server: slow or silent clients cut off", results.length);
    } finally {
      await strict.close();
    }
  }, 30_000);

  it("closes an idle keep-alive connection by itself (bounded wait)", async () => {
    const exchange = await rawExchange(`GET /resources/stores/kv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`, 15_000);
    expect(exchange.received.startsWith("HTTP/1.1 200 OK\r\n")).toBe(true);
    expect(exchange.closedByServer).toBe(true);
    count("server: idle keep-alive connections closed");
  }, 30_000);

  it("still answers after all of the above", async () => {
    const reply = await send("GET", "/resources/stores/kv");
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body).data).toHaveLength(1);
  });
});
