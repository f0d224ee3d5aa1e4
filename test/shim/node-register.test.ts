import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const cwd = fileURLToPath(new URL("./fixtures/node-app/", import.meta.url));
const registerUrl = pathToFileURL(fileURLToPath(new URL("../../src/shim/register.ts", import.meta.url))).href;
const dataDirs: string[] = [];
afterAll(() => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** `node --import tsx --import edge-kv/register <script>` in the fixture folder (tsx only because edge-kv runs from source here). */
function run(script: string, env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--import", registerUrl, script],
      { cwd, timeout: 30_000, env: { ...process.env, EDGE_KV_MODULES: JSON.stringify({ "fastly:env": "./env.mjs" }), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("node --import edge-kv/register", () => {
  it("resolves fastly:kv-store on the stores of ./fastly.toml and fastly:env to the module in EDGE_KV_MODULES", async () => {
    const result = await run("app.mjs");
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("greeting=hello metadata=v1 host=localhost\nruns=1\n");
    expect(result.code).toBe(0);
  });

  it("without EDGE_KV_DATA the stores are in memory: every run starts from fastly.toml", async () => {
    await run("app.mjs");
    expect((await run("app.mjs")).stdout).toContain("runs=1\n");
  });

  it("with EDGE_KV_DATA the stores live in that folder: data survives a restart, the seed does not overwrite it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-kv-register-"));
    dataDirs.push(dir);
    expect((await run("app.mjs", { EDGE_KV_DATA: dir })).stdout).toContain("runs=1\n");
    const second = await run("app.mjs", { EDGE_KV_DATA: dir });
    expect(second.stderr).toBe("");
    expect(second.stdout).toBe("greeting=hello metadata=v1 host=localhost\nruns=2\n");
  });

  it("with EDGE_KV_DATA a store defined in code without a driver lives in the folder too", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-kv-register-"));
    dataDirs.push(dir);
    expect((await run("code-store.mjs", { EDGE_KV_DATA: dir })).stdout).toBe("n=1\n");
    const second = await run("code-store.mjs", { EDGE_KV_DATA: dir });
    expect(second.stderr).toBe("");
    expect(second.stdout).toBe("n=2\n");
  });

  it("serves fastly:experimental: includeBytes reads files relative to the working directory", async () => {
    const result = await run("include.mjs");
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe(`first line: ${readFileSync(join(cwd, "fastly.toml"), "utf8").split("\n")[0]}\nsdk: string\nError: Error opening file missing.txt\n`);
  });

  it("serves fastly:config-store, fastly:dictionary, fastly:secret-store and fastly:env from fastly.toml, EDGE_KV_ENV values, and installs the Compute globals", async () => {
    const result = await run("compute.mjs", { EDGE_KV_MODULES: "", EDGE_KV_ENV: JSON.stringify({ API_URL: "https://api.test" }) });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("mode=dark dictionary=dark secret=t0k3n\npop=XXX api=https://api.test globals=KVStore,KVStoreEntry,ConfigStore,Dictionary,SecretStore,SecretStoreEntry,fastly\n");
  });

  it("EDGE_KV_GLOBALS=0 leaves globalThis alone; EDGE_KV_ENV that is not an object of strings is refused", async () => {
    const result = await run("compute.mjs", { EDGE_KV_MODULES: "", EDGE_KV_GLOBALS: "0" });
    expect(result.stdout).toContain("api=undefined globals=\n");
    const bad = await run("compute.mjs", { EDGE_KV_MODULES: "", EDGE_KV_ENV: '{"N":1}' });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('edge-kv: EDGE_KV_ENV maps variable names to string values; N: 1 is not a string');
  });

  it("fails an unmapped fastly:* import with an error naming the module and the variable to set", async () => {
    const result = await run("unmapped.mjs");
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      `edge-kv: cannot resolve "fastly:geolocation" (imported from unmapped.mjs): edge-kv provides "fastly:kv-store", "fastly:config-store", "fastly:dictionary", "fastly:secret-store", "fastly:env" and "fastly:experimental". Map "fastly:geolocation" to a module of your own: set EDGE_KV_MODULES='{"fastly:geolocation":"./path/to/your-module.js"}' when running node --import edge-kv/register`,
    );
  });

  it("a service-worker app (addEventListener(\"fetch\")) fails with an error saying to serve it with edge-kv dev or loadApp, not a bare ReferenceError", async () => {
    const result = await run("service-worker.mjs", { EDGE_KV_MODULES: "" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).not.toContain("ReferenceError");
    expect(result.stderr).toContain(
      `edge-kv: service-worker.mjs calls addEventListener("fetch", ...): it is a Compute app written as a service worker, and node --import edge-kv/register only resolves the fastly:* modules, so nothing would send it requests. Serve it with: npx edge-kv dev service-worker.mjs (http://127.0.0.1:7676), or load it in code with loadApp("./service-worker.mjs") from edge-kv/host`,
    );
  });

  it("loadApp still captures the app's fetch listener under register; other event types are left alone", async () => {
    const result = await run("load-service-worker.mjs", { EDGE_KV_MODULES: "" });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("status=200 body=hello addEventListener=function\n");
  });

  it("refuses EDGE_KV_MODULES that is not JSON, saying what it expects", async () => {
    const result = await run("app.mjs", { EDGE_KV_MODULES: "fastly:env=./env.mjs" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(`edge-kv: EDGE_KV_MODULES must be JSON like '{"fastly:geolocation":"./geolocation.js"}', got fastly:env=./env.mjs`);
  });
});
