/**
 * The "Done when": a Compute app as users write it — a service worker importing
 * fastly:kv-store, fastly:config-store, fastly:secret-store, fastly:env and fastly:experimental's
 * includeBytes (as Fastly's default starter kit embeds its page), with a fastly.toml — in a
 * scratch project that installs the packed tarball, (a) tested with Vitest through the edgeKv()
 * plugin and the app host, (b) served by `npx edge-kv dev` and answered over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removeScratchProjects, scratchProject, type ScratchProject } from "./pack-fixture.js";

afterAll(removeScratchProjects);

const FASTLY_TOML = `manifest_version = 3
name = "scratch-compute-app"
language = "javascript"

[scripts]
build = "npm run build"

[local_server.kv_stores]
greetings = [{ key = "hello", data = "hello from fastly.toml" }]

[local_server.config_stores.flags]
format = "inline-toml"
[local_server.config_stores.flags.contents]
banner = "on"

[local_server.secret_stores]
keys = [{ key = "api", data = "s3cr3t" }]
`;

const APP = `import { KVStore } from "fastly:kv-store";
import { ConfigStore } from "fastly:config-store";
import { SecretStore } from "fastly:secret-store";
import { env } from "fastly:env";
import { includeBytes } from "fastly:experimental";

// Read at build time on Compute, relative to the project folder.
const page = includeBytes("./src/welcome.html");

interface FetchEvent {
  readonly request: Request;
  readonly client: { readonly address: string; readonly requestId: string };
  respondWith(response: Response | Promise<Response>): void;
}

addEventListener("fetch", (event) => (event as unknown as FetchEvent).respondWith(handle(event as unknown as FetchEvent)));

async function handle(event: FetchEvent): Promise<Response> {
  const url = new URL(event.request.url);
  const [, area, key = ""] = url.pathname.split("/");
  if (area === "kv" && event.request.method === "PUT") {
    await new KVStore("greetings").put(key, await event.request.text());
    return new Response(null, { status: 204 });
  }
  if (area === "kv") {
    const entry = await new KVStore("greetings").get(key);
    return entry === null ? new Response("no such key", { status: 404 }) : new Response(await entry.text());
  }
  if (area === "page") return new Response(page, { headers: { "content-type": "text/html; charset=utf-8" } });
  if (area === "config") return new Response(new ConfigStore("flags").get(key) ?? "unset");
  if (area === "secret") {
    const secret = await new SecretStore("keys").get(key);
    return new Response(secret === null ? "none" : secret.plaintext().length + " characters");
  }
  if (area === "info") {
    return Response.json({
      client: event.client.address,
      requestId: event.client.requestId,
      hostname: env("FASTLY_HOSTNAME"),
      serviceVersion: env("FASTLY_SERVICE_VERSION"),
      traceId: env("FASTLY_TRACE_ID"),
    });
  }
  return new Response("not found", { status: 404 });
}
`;

const TEST = `import { expect, it } from "vitest";
import { loadApp } from "edge-kv/host";
import { getTestKv } from "edge-kv/testing";

const app = await loadApp("./src/index.ts");

it("reads fastly.toml's KV, config and secret stores and Viceroy's env through the app's fetch listener", async () => {
  expect(await (await app.fetch("/kv/hello")).text()).toBe("hello from fastly.toml");
  expect(await (await app.fetch("/config/banner")).text()).toBe("on");
  expect(await (await app.fetch("/secret/api")).text()).toBe("6 characters");
  expect(await (await app.fetch("/page")).text()).toBe("<h1>Welcome ✨</h1>\\n");
  const info = await (await app.fetch("/info")).json();
  expect(info).toMatchObject({ client: "127.0.0.1", hostname: "localhost", serviceVersion: "0" });
  expect(info.traceId).toBe(info.requestId);
});

it("writes KV that the test reads back, and each test starts from the seed", async () => {
  expect((await app.fetch("/kv/new", { method: "PUT", body: "written" })).status).toBe(204);
  expect((await getTestKv().entry("greetings", "new"))?.text).toBe("written");
});

it("the previous test's write is gone", async () => {
  expect((await app.fetch("/kv/new")).status).toBe(404);
});
`;

describe("a Compute app from the packed tarball", () => {
  let project: ScratchProject;
  beforeAll(async () => {
    project = await scratchProject({
      files: {
        "package.json": JSON.stringify({ name: "scratch-compute-app", private: true, type: "module", scripts: { build: "js-compute-runtime src/index.ts bin/main.wasm" } }),
        "fastly.toml": FASTLY_TOML,
        "src/index.ts": APP,
        "src/welcome.html": "<h1>Welcome ✨</h1>\n",
        "vitest.config.ts": 'import { defineConfig } from "vitest/config";\nimport { edgeKv } from "edge-kv/vite";\n\nexport default defineConfig({ plugins: [edgeKv()] });\n',
        "test/app.test.ts": TEST,
      },
      link: ["vitest", "vite"],
    });
  }, 300_000);

  it("(a) its Vitest tests pass through the edgeKv() plugin and loadApp", async () => {
    const { code, stdout, stderr } = await project.run("npx --no-install vitest run --reporter=verbose", { allowFailure: true, timeoutMs: 120_000, env: { NO_COLOR: "1", FORCE_COLOR: "0" } });
    expect(`${stdout}${stderr}`).toMatch(/Tests\s+3 passed \(3\)/);
    expect(code).toBe(0);
  }, 150_000);

  it("(b) `npx edge-kv dev` serves it over HTTP on the stores of its fastly.toml", async () => {
    const dev = project.start("npx --no-install edge-kv dev --port 0");
    const line = await dev.waitForLine(/^edge-kv dev: serving src\/index\.ts on http:\/\//, 60_000);
    const url = /on (http:\/\/\S+)/.exec(line)![1]!;
    await dev.waitForLine(/Ctrl-C stops it/);
    expect(await (await fetch(`${url}/kv/hello`)).text()).toBe("hello from fastly.toml");
    expect((await fetch(`${url}/kv/made`, { method: "PUT", body: "over HTTP" })).status).toBe(204);
    expect(await (await fetch(`${url}/kv/made`)).text()).toBe("over HTTP");
    expect(await (await fetch(`${url}/config/banner`)).text()).toBe("on");
    expect(await (await fetch(`${url}/secret/api`)).text()).toBe("6 characters");
    expect(await (await fetch(`${url}/page`)).text()).toBe("<h1>Welcome ✨</h1>\n");
    const info = (await (await fetch(`${url}/info`)).json()) as Record<string, string>;
    expect(info).toMatchObject({ client: "127.0.0.1", hostname: "localhost", serviceVersion: "0", requestId: "00000000000000000000000000000006" });
    expect(info.traceId).toBe(info.requestId);
    const stores = (await (await fetch(`${url}/_edge-kv/api/resources/stores/kv`)).json()) as { data: Array<{ name: string }> };
    expect(stores.data.map((store) => store.name)).toEqual(["greetings"]);
    // The data tools take the address dev prints (the app answers its root; the stores are under /_edge-kv/api/).
    expect((await project.run(`npx --no-install edge-kv list greetings --url ${url}`)).stdout).toBe("hello\nmade\n");
    await dev.waitForLine(/^GET \/info 200 [\d.]+ ms$/);
    await dev.stop();
  }, 150_000);
});
