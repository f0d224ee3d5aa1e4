import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { edgeKvEsbuild } from "edge-kv/esbuild";

const fixture = fileURLToPath(new URL("./fixtures/node-app/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "edge-kv-esbuild-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

async function bundle(entry: string, plugin: ReturnType<typeof edgeKvEsbuild>) {
  return build({ entryPoints: [join(fixture, entry)], bundle: true, format: "esm", platform: "neutral", write: false, logLevel: "silent", metafile: true, plugins: [plugin] });
}

function runNode(file: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [file], { timeout: 30_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("edgeKvEsbuild() plugin", () => {
  it("bundles fastly:kv-store with the stores of fastly.toml embedded and fastly:env mapped; the bundle runs in plain Node", async () => {
    const result = await bundle("app.mjs", edgeKvEsbuild({ root: fixture, modules: { "fastly:env": "./env.mjs" } }));
    const file = join(out, "app.mjs");
    writeFileSync(file, result.outputFiles[0]!.text);
    const run = await runNode(file);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("greeting=hello metadata=v1 host=localhost\nruns=1\n");
  });

  it("bundles every fastly:* module edge-kv provides, with fastly.toml's config and secret stores, env option and the globals", async () => {
    const result = await bundle("compute.mjs", edgeKvEsbuild({ root: fixture, env: { API_URL: "https://api.test" } }));
    const file = join(out, "compute.mjs");
    writeFileSync(file, result.outputFiles[0]!.text);
    const run = await runNode(file);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("mode=dark dictionary=dark secret=t0k3n\npop=XXX api=https://api.test globals=KVStore,KVStoreEntry,ConfigStore,Dictionary,SecretStore,SecretStoreEntry,fastly\n");
    const withoutGlobals = join(out, "compute-no-globals.mjs");
    writeFileSync(withoutGlobals, (await bundle("compute.mjs", edgeKvEsbuild({ root: fixture, globals: false }))).outputFiles[0]!.text);
    expect((await runNode(withoutGlobals)).stdout).toContain("api=undefined globals=\n");
  });

  it("bundles fastly:experimental: includeBytes reads the files of the build's root when the bundle runs in Node", async () => {
    const file = join(out, "include.mjs");
    writeFileSync(file, (await bundle("include.mjs", edgeKvEsbuild({ root: fixture }))).outputFiles[0]!.text);
    const run = await runNode(file);
    expect(run.stderr).toBe("");
    expect(run.stdout).toBe("first line: manifest_version = 3\nsdk: string\nError: Error opening file missing.txt\n");
  });

  it("the bundle imports nothing: no Node builtin, no fastly:* module is left external", async () => {
    const result = await bundle("app.mjs", edgeKvEsbuild({ root: fixture, modules: { "fastly:env": "./env.mjs" } }));
    const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
    expect(imports).toEqual([]);
  });

  it("embeds inline stores instead of fastly.toml when given", async () => {
    const result = await bundle("app.mjs", edgeKvEsbuild({ root: fixture, modules: { "fastly:env": "./env.mjs" }, stores: { config: { seed: { greeting: { value: "hi", metadata: "inline" }, runs: "41" } } } }));
    const file = join(out, "inline.mjs");
    writeFileSync(file, result.outputFiles[0]!.text);
    expect((await runNode(file)).stdout).toBe("greeting=hi metadata=inline host=localhost\nruns=42\n");
  });

  it("fails the build on an unmapped fastly:* import, naming it and the option to use", async () => {
    const failure = await bundle("unmapped.mjs", edgeKvEsbuild({ root: fixture })).then(
      () => null,
      (error: { errors: Array<{ text: string }> }) => error.errors.map((item) => item.text),
    );
    expect(failure).toEqual([
      'edge-kv: cannot resolve "fastly:geolocation" (imported from unmapped.mjs): edge-kv provides "fastly:kv-store", "fastly:config-store", "fastly:dictionary", "fastly:secret-store", "fastly:env" and "fastly:experimental". Map "fastly:geolocation" to a module of your own: edgeKvEsbuild({ modules: { "fastly:geolocation": "./path/to/your-module.js" } }) in your esbuild build',
    ]);
  });

  it("fails the build with the store and key when an inline store option is wrong", async () => {
    const failure = await bundle("app.mjs", edgeKvEsbuild({ root: fixture, modules: { "fastly:env": "./env.mjs" }, stores: { config: { driver: "disk" as never } } })).then(
      () => null,
      (error: { errors: Array<{ text: string }> }) => error.errors.map((item) => item.text),
    );
    expect(failure).toEqual(['edge-kv: edgeKvEsbuild({ stores: { "config": ... } }): driver must be "memory", { directory: "path/to/folder" } or { redis: "redis://host:6379" }, got "disk"']);
  });
});
