/**
 * `edge-kv dev` run as a user runs it: in the app's folder, as a child process, answered over HTTP.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { VICEROY_LOOPBACK_GEO } from "edge-kv/host";
import { reservedLine } from "../../src/cli/dev.js";
import { runDevToExit, startDev } from "./dev-cli.js";

const fixture = fileURLToPath(new URL("./fixtures/dev-project/", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "edge-kv-dev-test-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** GET with headers fetch() will not send (Host). */
function rawGet(url: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (response) => {
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => resolve(body));
    })
      .on("error", reject)
      .end();
  });
}

/** A copy of the fixture project to change freely. */
function copyProject(name: string): string {
  const folder = join(scratch, name);
  cpSync(fixture, folder, { recursive: true });
  return folder;
}

describe("edge-kv dev", () => {
  it("serves the entry named by package.json's js-compute-runtime build script on fastly.toml's stores; /_edge-kv/ is the explorer and /_edge-kv/api/ sees what the app wrote; one log line per request; SIGTERM exits 0", async () => {
    const dev = await startDev([], fixture);
    try {
      expect(dev.stdout()).toContain(`  explorer: ${dev.url}/_edge-kv/ (REST API: ${dev.url}/_edge-kv/api/)\n`);
      expect(dev.stdout()).toContain("  notes in memory (from fastly.toml); entry from package.json scripts.build; Ctrl-C stops it\n");
      expect(dev.stdout()).toMatch(/^edge-kv dev: serving src\/index\.ts on http:\/\/127\.0\.0\.1:\d+\n/);

      const seeded = await fetch(`${dev.url}/hello`);
      expect([seeded.status, await seeded.text()]).toEqual([200, "hello: from fastly.toml"]);
      expect((await fetch(`${dev.url}/note`, { method: "PUT", body: "written by the app" })).status).toBe(204);
      expect((await fetch(`${dev.url}/missing?x=1`)).status).toBe(404);

      const stores = (await (await fetch(`${dev.url}/_edge-kv/api/resources/stores/kv`, { headers: { "Fastly-Key": "local" } })).json()) as { data: Array<{ id: string; name: string }> };
      expect(stores.data.map((store) => store.name)).toEqual(["notes"]);
      const value = await fetch(`${dev.url}/_edge-kv/api/resources/stores/kv/${stores.data[0]!.id}/keys/note`, { headers: { "Fastly-Key": "local" } });
      expect(await value.text()).toBe("written by the app");
      const page = await fetch(`${dev.url}/_edge-kv/`);
      expect([page.status, page.headers.get("content-type")]).toEqual([200, "text/html; charset=utf-8"]);
      expect((await fetch(`${dev.url}/_edge-kv/api/nothing`)).status).toBe(404);

      await dev.waitFor(/GET \/_edge-kv\/api\/nothing 404/);
      const log = dev.stdout().split("\n").filter((line) => /^[A-Z]+ \//.test(line)).map((line) => line.replace(/ [\d.]+ ms$/, " <ms>"));
      expect(log).toEqual([
        "GET /hello 200 <ms>",
        "PUT /note 204 <ms>",
        "GET /missing?x=1 404 <ms>",
        "GET /_edge-kv/api/resources/stores/kv 200 <ms>",
        `GET /_edge-kv/api/resources/stores/kv/${stores.data[0]!.id}/keys/note 200 <ms>`,
        "GET /_edge-kv/ 200 <ms>",
        "GET /_edge-kv/api/nothing 404 <ms>",
      ]);
      expect(dev.stderr()).toBe("");
    } finally {
      await dev.stop();
    }
    expect(dev.child.exitCode).toBe(0);
  });

  it("gives the app Viceroy's values: URL from the Host header, client and server 127.0.0.1, request ids counting from 0 (FASTLY_TRACE_ID the same), fastly.toml's config stores; an app error is a 500 with the error and its stack (through the app's own file) on stderr", async () => {
    const dev = await startDev([], fixture);
    try {
      const first = (await (await fetch(`${dev.url}/whoami`)).json()) as Record<string, unknown>;
      const second = JSON.parse(await rawGet(`${dev.url}/whoami`, { host: "example.test:1234" })) as Record<string, unknown>;
      const id = (n: number) => n.toString(16).padStart(32, "0");
      expect(first).toEqual({ client: "127.0.0.1", server: "127.0.0.1", requestId: id(0), traceId: id(0), url: `${dev.url}/whoami` });
      expect(second).toEqual({ client: "127.0.0.1", server: "127.0.0.1", requestId: id(1), traceId: id(1), url: "http://example.test:1234/whoami" });
      expect(await (await fetch(`${dev.url}/flag`)).text()).toBe("on");
      expect(await (await fetch(`${dev.url}/geo`)).json()).toEqual(VICEROY_LOOPBACK_GEO);

      const failed = await fetch(`${dev.url}/fail`);
      expect([failed.status, await failed.text(), failed.headers.get("content-length")]).toEqual([500, "", "0"]);
      const report = await dev.waitFor(/Error while running request handler:[\s\S]*src\/index\.ts:\d+:\d+/, "stderr");
      expect(report).toContain("(GET /fail, request 00000000000000000000000000000004)");
      expect(report).toContain("Error: the handler failed");
    } finally {
      await dev.stop();
    }
  });

  it("fastly.toml's [local_server.geolocation] gives event.client.geo; a body the app streams keeps its event active (waitUntil while it streams); a listener added during a request answers the requests that follow", async () => {
    const project = copyProject("geo");
    writeFileSync(
      join(project, "fastly.toml"),
      `${readFileSync(join(project, "fastly.toml"), "utf8")}\n[local_server.geolocation]\nformat = "inline-toml"\n[local_server.geolocation.addresses."127.0.0.1"]\ncity = "Local"\nas_number = 64500\n`,
    );
    const dev = await startDev([], project);
    try {
      await dev.waitFor(/ {2}geolocation from fastly\.toml: 1 address\n/);
      expect(await (await fetch(`${dev.url}/geo`)).json()).toEqual({ as_number: 64500, city: "Local" });
      const stream = await fetch(`${dev.url}/stream`);
      expect([stream.status, stream.headers.get("transfer-encoding"), await stream.text()]).toEqual([200, "chunked", "streamed body"]);
      expect(await (await fetch(`${dev.url}/during-stream`)).text()).toBe("during-stream: yes");
      expect(dev.stderr()).toBe("");

      const unanswered = await fetch(`${dev.url}/added`);
      expect([unanswered.status, await unanswered.text()]).toEqual([500, ""]);
      expect(await (await fetch(`${dev.url}/late`)).text()).toBe("listener added");
      expect(await (await fetch(`${dev.url}/added`)).text()).toBe("added later");
    } finally {
      await dev.stop();
    }
  });

  it("bound to every address (--host 0.0.0.0), the start-up line gives the explorer and REST API at their loopback URL (they answer loopback clients only); on one other address it says they cannot be reached there", async () => {
    const dev = await startDev(["--host", "0.0.0.0"], fixture);
    try {
      const port = new URL(dev.url).port;
      expect(dev.url).toBe(`http://0.0.0.0:${port}`);
      expect(dev.stdout()).toContain(`  explorer: http://127.0.0.1:${port}/_edge-kv/ (REST API: http://127.0.0.1:${port}/_edge-kv/api/)\n`);
      const stores = await fetch(`http://127.0.0.1:${port}/_edge-kv/api/resources/stores/kv`, { headers: { "Fastly-Key": "local" } });
      expect(stores.status).toBe(200);
    } finally {
      await dev.stop();
    }
    expect(reservedLine("http://192.168.1.20:7676")).toBe(
      "not reachable on 192.168.1.20: it answers clients on this machine by a loopback address only (bind --host 0.0.0.0 or 127.0.0.1 to open it at http://127.0.0.1:7676/_edge-kv/)",
    );
    expect(reservedLine("http://[::]:7676")).toBe("http://[::1]:7676/_edge-kv/ (REST API: http://[::1]:7676/_edge-kv/api/)");
  });

  it("--data keeps what the app wrote across restarts", async () => {
    const project = copyProject("data");
    const first = await startDev(["--data", ".kv"], project);
    expect(first.stdout()).toContain(`notes in ${join(project, ".kv")} (from fastly.toml)`);
    expect((await fetch(`${first.url}/kept`, { method: "PUT", body: "across restarts" })).status).toBe(204);
    expect(await first.stop()).toBe(0);
    const second = await startDev(["--data", ".kv"], project);
    try {
      expect(await (await fetch(`${second.url}/kept`)).text()).toBe("kept: across restarts");
      expect(await (await fetch(`${second.url}/hello`)).text()).toBe("hello: from fastly.toml");
    } finally {
      await second.stop();
    }
  });

  it("--watch rebuilds and reloads on a change to any file of the app, keeping the stores; a broken edit leaves the previous build serving", async () => {
    const project = copyProject("watch");
    const dev = await startDev(["--watch"], project);
    try {
      expect(dev.stdout()).toContain("; watching for changes;");
      await fetch(`${dev.url}/kept`, { method: "PUT", body: "in the store" });
      writeFileSync(join(project, "src/describe.ts"), readFileSync(join(project, "src/describe.ts"), "utf8").replace("`${key}: ${value}`", "`${key} = ${value}`"));
      await dev.waitFor(/reloaded src\/index\.ts \(built in [\d.]+ ms\)/);
      expect(await (await fetch(`${dev.url}/kept`)).text()).toBe("kept = in the store");

      writeFileSync(join(project, "src/describe.ts"), "export function describe(key: string value: string) {}\n");
      await dev.waitFor(/cannot build src\/index\.ts:\n[\s\S]*ERROR[\s\S]*src\/describe\.ts:1:\d+[\s\S]*\(still serving the previous build\)/, "stderr");
      expect(await (await fetch(`${dev.url}/kept`)).text()).toBe("kept = in the store");
    } finally {
      await dev.stop();
    }
  });
});

describe("edge-kv dev start-up errors (exit 1, or 2 for bad usage, with a message saying what to do)", () => {
  it("an entry that does not exist", async () => {
    const { code, stderr } = await runDevToExit(["src/nope.ts"], fixture);
    expect(code).toBe(1);
    expect(stderr).toBe(`edge-kv: dev: the entry src/nope.ts does not exist (${join(fixture, "src/nope.ts")}). Pass the file of your app, e.g. edge-kv dev src/index.ts\n`);
  });

  it("no entry found by the conventions: the message lists where it looked", async () => {
    const empty = join(scratch, "empty");
    cpSync(join(fixture, "fastly.toml"), join(empty, "fastly.toml"));
    writeFileSync(join(empty, "package.json"), JSON.stringify({ scripts: { prebuild: "webpack", build: "js-compute-runtime bin/index.js bin/main.wasm" } }));
    const { code, stderr } = await runDevToExit([], empty);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `edge-kv: dev: no app entry found in ${empty}. Looked at: bin/index.js (package.json scripts.build: a build output, skipped), src/index.ts, src/index.js, src/index.mts, src/index.mjs, src/index.tsx, src/index.jsx. Pass the app's file: edge-kv dev path/to/index.ts\n`,
    );
  });

  it("a fastly.toml the loader refuses: its own error, naming the file", async () => {
    const project = copyProject("bad-toml");
    writeFileSync(join(project, "fastly.toml"), '[local_server.kv_stores]\nnotes = "not a list"\n');
    const { code, stderr } = await runDevToExit([], project);
    expect(code).toBe(1);
    expect(stderr).toContain(join(project, "fastly.toml"));
    expect(stderr).toMatch(/^edge-kv: /);
  });

  it("fastly.toml metadata over the stores' limit: the loader's error says to raise it with --max-metadata-bytes, which then loads it", async () => {
    const project = copyProject("metadata");
    writeFileSync(join(project, "fastly.toml"), `[local_server.kv_stores]\nnotes = [{ key = "big", data = "v", metadata = "${"m".repeat(1500)}" }]\n`);
    const refused = await runDevToExit([], project);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("The `metadata` of the object `big` is 1500 bytes; this store takes at most 1000 bytes. Raise the limit with edge-kv dev --max-metadata-bytes 1500 to load it.");
    const dev = await startDev(["--max-metadata-bytes", "1500"], project);
    try {
      expect(await (await fetch(`${dev.url}/big`)).text()).toBe("big: v");
    } finally {
      await dev.stop();
    }
  });

  it("a port in use", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await runDevToExit(["--port", String(port)], fixture);
      expect(code).toBe(1);
      expect(stderr).toBe(`edge-kv: dev: port ${port} on 127.0.0.1 is already in use (another edge-kv dev or fastly compute serve?); pick another with --port (0 picks a free one)\n`);
    } finally {
      blocker.close();
    }
  });

  it("an app that does not build (an import edge-kv does not provide): esbuild's error with file and line", async () => {
    const project = copyProject("bad-import");
    writeFileSync(join(project, "src/index.ts"), 'import { Backend } from "fastly:backend";\nvoid Backend;\n');
    const { code, stderr } = await runDevToExit([], project);
    expect(code).toBe(1);
    expect(stderr).toMatch(/^edge-kv: cannot build src\/index\.ts:\n/);
    expect(stderr).toContain(
      'ERROR] "fastly:backend" is not available in edge-kv dev: edge-kv provides "fastly:kv-store", "fastly:config-store", "fastly:dictionary", "fastly:secret-store", "fastly:env" and "fastly:experimental". Map it to a module of your own: edge-kv dev --module fastly:backend=./path/to/your-module.js',
    );
    expect(stderr).toContain("src/index.ts:1:24:");
  });

  it("an app that throws while it loads, or registers no fetch listener", async () => {
    const project = copyProject("throws");
    writeFileSync(join(project, "src/index.ts"), 'throw new TypeError("broken at the top level");\n');
    const thrown = await runDevToExit([], project);
    expect(thrown.code).toBe(1);
    expect(thrown.stderr).toMatch(/^edge-kv: dev: src\/index\.ts failed to load: TypeError: broken at the top level\n\s+at .*src\/index\.ts:1:\d+/);
    writeFileSync(join(project, "src/index.ts"), "export default { fetch: () => new Response() };\n");
    const silent = await runDevToExit([], project);
    expect(silent.code).toBe(1);
    expect(silent.stderr).toContain("registered no fetch listener while it loaded");
  });

  it("bad usage exits 2: a bad --port, two entries, an unknown option", async () => {
    expect(await runDevToExit(["--port", "http"], fixture)).toMatchObject({ code: 2, stderr: "edge-kv: dev: --port must be a number from 0 to 65535, got 'http'\n" });
    expect(await runDevToExit(["a.ts", "b.ts"], fixture)).toMatchObject({ code: 2, stderr: "edge-kv: dev: one entry at most, got 2: a.ts b.ts\n" });
    expect(await runDevToExit(["--max-metadata-bytes", "70000"], fixture)).toMatchObject({ code: 2, stderr: "edge-kv: dev: --max-metadata-bytes must be a whole number of bytes from 0 to 69000, got '70000'\n" });
    expect((await runDevToExit(["--wat"], fixture)).stderr).toMatch(/^edge-kv: dev: Unknown option '--wat'\. .*Run 'edge-kv dev --help' for the options\n$/);
  });
});
