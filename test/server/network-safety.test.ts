/**
 * A server reachable from the network needs a token: `createServer` and `edge-kv serve` refuse a
 * non-loopback address without one (unless told so explicitly, and then the CLI warns loudly), every
 * dialect checks the token exactly, and the comparison is constant-time (hashed, timingSafeEqual).
 */
import { afterEach, describe, expect, test } from "vitest";
import { EdgeKvError, KVRegistry } from "edge-kv";
import { checkBinding, createServer, explorerUrl, isLoopbackHost, tokenMatches, type RestServer } from "edge-kv/server";
import { parseServeArgs } from "../../src/cli/serve.js";
import { explorerLine } from "../../src/explorer/page.js";
import { runCli, startCli, stopAll } from "./cli-process.js";

const servers: RestServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  await stopAll();
});

const REFUSED = (host: string, flag: string) =>
  `edge-kv: refusing to serve on '${host}' without a token: that address is reachable from other machines, and every store would be readable and writable by anyone who can connect. ` +
  `Set a token (EDGE_KV_TOKEN=<secret>, or --token), bind to 127.0.0.1, or, if the network is trusted, pass ${flag}`;

describe("loopback addresses", () => {
  test.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["LOCALHOST", true],
    ["::1", true],
    ["[::1]", true],
    ["0:0:0:0:0:0:0:1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["192.168.1.20", false],
    ["10.0.0.1", false],
    ["::ffff:10.0.0.1", false],
    ["fe80::1", false],
    ["kv.internal", false],
    ["127.0.0.1.example.com", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("token comparison", () => {
  test("matches only the exact token", () => {
    expect(tokenMatches("s3cret-token", "s3cret-token")).toBe(true);
    expect(tokenMatches("s3cret-tokeN", "s3cret-token")).toBe(false);
    expect(tokenMatches("s3cret-token ", "s3cret-token")).toBe(false);
    expect(tokenMatches("s3cret", "s3cret-token")).toBe(false);
    expect(tokenMatches("", "s3cret-token")).toBe(false);
    expect(tokenMatches(undefined, "s3cret-token")).toBe(false);
    expect(tokenMatches("é", "é")).toBe(true);
  });

  test("no dialect compares the token with === any more (the constant-time helper is the only check)", async () => {
    const { readFileSync } = await import("node:fs");
    for (const dialect of ["fastly", "apify", "telnyx"]) {
      const source = readFileSync(new URL(`../../src/server/${dialect}.ts`, import.meta.url), "utf8");
      expect(source).toContain("tokenMatches(");
      expect(source).not.toMatch(/[!=]==\s*context\.token/);
    }
  });
});

describe("createServer on a non-loopback address", () => {
  test("refuses without a token, with an EdgeKvError saying what to do", async () => {
    await expect(createServer({ registry: new KVRegistry(), host: "0.0.0.0", port: 0 })).rejects.toThrow(new EdgeKvError(REFUSED("0.0.0.0", "insecureNoToken: true")));
    expect(() => checkBinding({ host: "0.0.0.0" })).toThrow(EdgeKvError);
  });

  test("starts with a token and then requires it on every dialect", async () => {
    const registry = new KVRegistry();
    registry.defineStore("s");
    const server = await createServer({ registry, host: "0.0.0.0", port: 0, token: "right-token" });
    servers.push(server);
    const base = `http://127.0.0.1:${server.port}`;
    const statuses = async (token: string) => [
      (await fetch(`${base}/resources/stores/kv`, { headers: { "fastly-key": token } })).status,
      (await fetch(`${base}/v2/key-value-stores`, { headers: { authorization: `Bearer ${token}` } })).status,
      (await fetch(`${base}/v2/storage/kvs`, { headers: { authorization: `Bearer ${token}` } })).status,
    ];
    expect(await statuses("right-token")).toEqual([200, 200, 200]);
    expect(await statuses("right-tokeN")).toEqual([401, 401, 401]);
    expect(await statuses("right")).toEqual([401, 401, 401]);
    expect((await fetch(`${base}/resources/stores/kv`)).status).toBe(401);
  });

  test("starts without a token only with insecureNoToken", async () => {
    const server = await createServer({ registry: new KVRegistry(), host: "0.0.0.0", port: 0, insecureNoToken: true });
    servers.push(server);
    expect((await fetch(`http://127.0.0.1:${server.port}/resources/stores/kv`)).status).toBe(200);
    expect(checkBinding({ host: "0.0.0.0", insecureNoToken: true })).toMatch(/^WARNING: edge-kv serves on '0\.0\.0\.0' WITHOUT A TOKEN\./);
  });

  test("a loopback address needs no token and gets no warning", () => {
    expect(checkBinding({ host: "127.0.0.1" })).toBeUndefined();
    expect(checkBinding({ host: "::1" })).toBeUndefined();
  });
});

describe("edge-kv serve on a non-loopback --host", () => {
  test("refuses to start without a token: exit 2 and the reason on stderr", async () => {
    const result = await runCli(["serve", "--host", "0.0.0.0", "--port", "0"], { EDGE_KV_TOKEN: "" });
    expect([result.code, result.stdout, result.stderr]).toEqual([2, "", `${REFUSED("0.0.0.0", "--insecure-no-token")}\n`]);
    expect(() => parseServeArgs(["--host", "192.168.1.5"], {})).toThrow(new EdgeKvError(REFUSED("192.168.1.5", "--insecure-no-token")));
  });

  test("starts with EDGE_KV_TOKEN, prints no warning, and requires the token", async () => {
    const { url, output } = await startCli(["serve", "--host", "0.0.0.0", "--port", "0"], { EDGE_KV_TOKEN: "from-env" });
    const local = url.replace("0.0.0.0", "127.0.0.1");
    expect((await fetch(`${local}/resources/stores/kv`)).status).toBe(401);
    expect((await fetch(`${local}/resources/stores/kv`, { headers: { "fastly-key": "from-env" } })).status).toBe(200);
    expect(output()).not.toContain("WARNING");
    // The printed explorer address is one the explorer answers (loopback name), not http://0.0.0.0:...
    const printed = /explorer: (\S+)/.exec(output())?.[1];
    expect(printed).toBe(`${local}/_edge-kv/#token=from-env`);
    expect((await fetch(printed!.split("#")[0]!)).status).toBe(200);
  });

  test("on one non-loopback address the start-up lines say the explorer cannot be reached there, instead of printing a URL it refuses", () => {
    expect(explorerUrl("http://0.0.0.0:7878", "t")).toBe("http://127.0.0.1:7878/_edge-kv/#token=t");
    expect(explorerUrl("http://[::]:7878")).toBe("http://[::1]:7878/_edge-kv/");
    expect(explorerLine("http://192.0.2.2:7878", "t")).toBe(
      "not reachable on 192.0.2.2: it answers clients on this machine by a loopback address only (bind --host 0.0.0.0 or 127.0.0.1 to open it at http://127.0.0.1:7878/_edge-kv/)",
    );
    expect(explorerLine("http://0.0.0.0:7878")).toBe("http://127.0.0.1:7878/_edge-kv/");
  });

  test("with --insecure-no-token starts and prints a loud warning on stderr", async () => {
    const { url, output } = await startCli(["serve", "--host", "0.0.0.0", "--port", "0", "--insecure-no-token"], { EDGE_KV_TOKEN: "" });
    expect((await fetch(`${url.replace("0.0.0.0", "127.0.0.1")}/resources/stores/kv`)).status).toBe(200);
    expect(output()).toContain(
      `${"!".repeat(78)}\nWARNING: edge-kv serves on '0.0.0.0' WITHOUT A TOKEN. Anyone who can reach this address can read, change and delete every store. Set EDGE_KV_TOKEN to require one.\n${"!".repeat(78)}`,
    );
  });
});
