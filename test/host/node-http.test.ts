/** The Node HTTP adapter of `edge-kv dev`: IncomingMessage → Request, Response → ServerResponse. */
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { readRequestBody, sendResponse, toAppRequest } from "../../src/host/node/http.js";

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(respond: (request: Request) => Response | Promise<Response>): Promise<string> {
  server = createServer(async (req, res) => {
    const { request } = toAppRequest(req, await readRequestBody(req));
    await sendResponse(res, await respond(request));
  });
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
}

/** Raw response: status, headers as sent (lower-case names, repeated ones kept), body bytes. */
function raw(url: string, init: { method?: string; body?: string } = {}): Promise<{ status: number; headers: string[]; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase()), body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end(init.body);
  });
}

describe("Node HTTP adapter", () => {
  it("gives the app the method, the URL from the Host header, every header in order and the body", async () => {
    const seen: unknown[] = [];
    const url = await serve(async (request) => {
      seen.push([request.method, new URL(request.url).pathname + new URL(request.url).search, request.headers.get("x-one"), request.body === null ? null : await request.text()]);
      return new Response("ok");
    });
    await fetch(`${url}/a?b=1`, { headers: { "x-one": "1" } });
    await fetch(`${url}/p`, { method: "POST", body: "payload" });
    expect(seen).toEqual([
      ["GET", "/a?b=1", "1", null],
      ["POST", "/p", null, "payload"],
    ]);
  });

  it("sends every byte value unchanged, with its length, in one piece", async () => {
    const bytes = new Uint8Array(256).map((_, index) => index);
    const url = await serve(() => new Response(bytes));
    const response = await raw(url);
    expect([...response.body]).toEqual([...bytes]);
    expect(response.headers).toContain("content-length");
  });

  it("sends a large body and a streamed body (several chunks) whole", async () => {
    const large = new Uint8Array(100_000).map((_, index) => index % 251);
    const url = await serve((request) =>
      new URL(request.url).pathname === "/large"
        ? new Response(large)
        : new Response(
            new ReadableStream({
              start(controller) {
                for (const part of ["one ", "two ", "three"]) controller.enqueue(new TextEncoder().encode(part));
                controller.close();
              },
            }),
          ),
    );
    expect((await raw(`${url}/large`)).body.equals(Buffer.from(large))).toBe(true);
    const streamed = await raw(`${url}/stream`);
    expect(streamed.body.toString()).toBe("one two three");
    expect(streamed.headers).toContain("transfer-encoding");
  });

  it("keeps each Set-Cookie header; a response without body has content-length 0 (none for 204)", async () => {
    const url = await serve((request) => {
      if (new URL(request.url).pathname === "/none") return new Response(null, { status: 204 });
      const headers = new Headers();
      headers.append("set-cookie", "a=1");
      headers.append("set-cookie", "b=2");
      return new Response(null, { status: 500, headers });
    });
    const cookies = await raw(url);
    expect(cookies.status).toBe(500);
    expect(cookies.headers.filter((name) => name === "set-cookie")).toHaveLength(2);
    expect(cookies.headers).toContain("content-length");
    const none = await raw(`${url}/none`);
    expect([none.status, none.headers.includes("content-length")]).toEqual([204, false]);
  });
});
