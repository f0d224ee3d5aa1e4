/**
 * Differential tests of the request/response path: test/wasm/fixtures/web-app (fetch event and web
 * APIs only) through edge-kv's JavaScript app host and through Fastly's real runtime.
 */
import { resetRegistry } from "edge-kv";
import { loadApp } from "edge-kv/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWasmApp, type WasmApp } from "../../src/wasm/index.js";
import { fixtureWasm } from "./helpers.js";

const ENTRY = "test/wasm/fixtures/web-app/src/index.js";
const COMPARED_HEADERS = /^(content-type|content-length|location|set-cookie|x-.*)$/;

interface Fetcher {
  fetch(input: string, init?: RequestInit & { client?: Record<string, unknown> }): Promise<Response>;
  close(): Promise<void>;
}

async function answer(app: Fetcher, path: string, init?: RequestInit & { client?: Record<string, unknown> }) {
  const response = await app.fetch(path, init);
  const headers = [...response.headers].filter(([name]) => COMPARED_HEADERS.test(name));
  return { status: response.status, headers, body: await response.text() };
}

const REQUESTS: [string, (RequestInit & { client?: Record<string, unknown> })?][] = [
  ["/echo?q=1", { headers: { "x-test": "yes", accept: "text/plain" } }],
  ["/echo", { method: "POST", body: "payload", headers: { "content-type": "text/plain" } }],
  ["/echo", { method: "DELETE" }],
  ["/status?code=418"],
  ["/status?code=599"],
  ["/headers"],
  ["/client"],
  ["/client", { client: { address: "203.0.113.7", geo: null, tlsProtocol: "TLSv1.3" } }],
  ["/redirect"],
  ["/stream"],
  ["/utf8"],
  ["/empty"],
  ["/throw-sync"],
  ["/no-respond"],
  ["/not-a-response"],
  ["/reject"],
  ["/nope"],
];

describe("request and response path: the JS app host and the real runtime agree", () => {
  let js: Fetcher;
  let real: WasmApp;
  beforeAll(async () => {
    resetRegistry();
    js = (await loadApp(ENTRY, { onError: () => undefined })) as unknown as Fetcher;
    real = await loadWasmApp({ wasm: await fixtureWasm(ENTRY), thread: "main", echo: false });
  });
  afterAll(async () => {
    await js.close();
    await real.close();
  });

  for (const [path, init] of REQUESTS) {
    it(`${init?.method ?? "GET"} ${path}${init?.client ? " (client overrides)" : ""}`, async () => {
      const fromJs = await answer(js, path, init);
      const fromReal = await answer(real, path, init);
      if (path.startsWith("/echo")) {
        // A request that reaches Compute over HTTP always has a Host header; both hosts add the URL's
        // authority when the request has none (the JS host lacked it until this was found here).
        const echoed = (body: string) => (JSON.parse(body) as { headers: [string, string][] }).headers.find(([name]) => name === "host");
        expect(echoed(fromJs.body)).toEqual(["host", "127.0.0.1:7676"]);
        expect(echoed(fromReal.body)).toEqual(["host", "127.0.0.1:7676"]);
      }
      expect(fromJs).toEqual(fromReal);
    });
  }
});
