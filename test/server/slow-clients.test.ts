/**
 * Clients that send too much or too little: an endless chunked upload gets its 413 as soon as the
 * limit is passed, and a connection that never finishes its request is closed by the server.
 * Every wait is bounded.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resetRegistry } from "edge-kv";
import { createServer, type RestServer } from "edge-kv/server";

let server: RestServer;
beforeAll(async () => {
  server = await createServer({ port: 0, limits: { maxValueBytes: 1024 }, headersTimeoutMs: 500, requestTimeoutMs: 1000 });
});
afterAll(() => server.close());

/** Opens a raw connection and collects what the server sends until it closes or `ms` pass. */
function rawConnection(): { socket: Socket; received: () => string; closed: Promise<boolean> } {
  const socket = connect(server.port, "127.0.0.1");
  let data = "";
  socket.on("data", (chunk) => (data += chunk.toString("latin1")));
  socket.on("error", () => undefined);
  const closed = new Promise<boolean>((resolve) => socket.once("close", () => resolve(true)));
  return { socket, received: () => data, closed };
}

function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(fallback), ms))]);
}

describe("slow and oversized clients", () => {
  test("a chunked upload that passes the value limit gets 413 before it ends, and the connection is closed", async () => {
    const registry = resetRegistry();
    registry.defineStore("s");
    const id = ((await (await fetch(`${server.url}/resources/stores/kv?name=s`)).json()) as { data: { id: string }[] }).data[0]!.id;
    const { socket, received, closed } = rawConnection();
    socket.write(`PUT /resources/stores/kv/${id}/keys/k HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = "x".repeat(600);
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`); // 1200 bytes > 1024, and never a final chunk
    const answered = await within(
      new Promise<boolean>((resolve) => {
        const check = setInterval(() => {
          if (received().includes("\r\n\r\n{")) {
            clearInterval(check);
            resolve(true);
          }
        }, 10);
      }),
      3000,
      false,
    );
    expect(answered).toBe(true);
    expect(received()).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(received().toLowerCase()).toContain("connection: close");
    expect(received()).toContain('{"msg":"Payload Too Large","detail":"the value is more than 1024 bytes (1200 received so far); the limit is 1024 bytes"}');
    expect(await within(closed, 3000, false)).toBe(true);
    expect(await registry.store("s").snapshot()).toEqual({});
  });

  test("a connection that sends half a request is closed within the request timeout", async () => {
    const { socket, closed } = rawConnection();
    socket.write("GET /resources/stores/kv HTTP/1.1\r\nHost: x\r\n"); // headers never finished
    expect(await within(closed, 5000, false)).toBe(true);
  });
});
