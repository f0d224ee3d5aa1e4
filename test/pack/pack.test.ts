/**
 * The package as a user installs it: `npm pack` from a clean copy of the sources (no dist/), the
 * tarball installed with plain `npm install` into a scratch project, every export path of
 * package.json imported from a plain Node ESM script, and the `edge-kv` bin run (help, and a REST
 * server answering one request). The export paths come from package.json, so a new one that does
 * not import fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportPaths, packTarball, removeScratchProjects, repoPackageJson, scratchProject, tarballFiles, type ScratchProject } from "./pack-fixture.js";

afterAll(removeScratchProjects);

const IMPORT_ALL = `
const { default: pkg } = await import("edge-kv/package.json", { with: { type: "json" } });
const paths = JSON.parse(process.argv[2]);
const results = {};
for (const path of paths) {
  const specifier = path === "." ? "edge-kv" : "edge-kv" + path.slice(1);
  try {
    const module = specifier === "edge-kv/package.json" ? await import(specifier, { with: { type: "json" } }) : await import(specifier);
    results[path] = { ok: true, exports: Object.keys(module).sort() };
  } catch (error) {
    results[path] = { ok: false, error: String(error && error.message || error).split("\\n")[0] };
  }
}
console.log(JSON.stringify({ name: pkg.name, results }));
`;

describe("npm pack → npm install → import and run", () => {
  let files: string[];
  let project: ScratchProject;
  beforeAll(async () => {
    files = await tarballFiles(await packTarball());
    project = await scratchProject({ files: { "import-all.mjs": IMPORT_ALL } });
  }, 300_000);

  it("the tarball holds the built code, the LICENSE and the README, without source maps", () => {
    const pkg = repoPackageJson();
    const targets = [...exportPaths().flatMap((entry) => entry.targets), ...Object.values(pkg.bin)];
    const missing = targets.map((target) => `package/${target.replace(/^\.\//, "")}`).filter((path) => !files.includes(path));
    expect(missing, "export or bin targets missing from the tarball").toEqual([]);
    expect(files).toEqual(expect.arrayContaining(["package/LICENSE", "package/README.md", "package/package.json", "package/dist/index.js", "package/dist/index.d.ts"]));
    expect(files.filter((path) => path.endsWith(".map"))).toEqual([]);
  });

  it("imports every export path of package.json from a plain Node ESM script", async () => {
    const runtime = exportPaths().filter((entry) => entry.runtime).map((entry) => entry.path);
    expect(runtime).toEqual(expect.arrayContaining([".", "./node", "./testing", "./vite", "./server", "./package.json"]));
    const { stdout } = await project.run(`node import-all.mjs '${JSON.stringify(runtime)}'`);
    const { name, results } = JSON.parse(stdout.trim().split("\n").pop()!) as { name: string; results: Record<string, { ok: boolean; exports?: string[]; error?: string }> };
    expect(name).toBe("edge-kv");
    const failed = Object.entries(results).filter(([, result]) => !result.ok);
    expect(failed, "export paths that do not import").toEqual([]);
    expect(Object.keys(results)).toEqual(runtime);
    expect(results["."]!.exports).toEqual(expect.arrayContaining(["KVStore", "KVStoreEntry", "KVRegistry", "resetRegistry"]));
    expect(results["./node"]!.exports).toEqual(expect.arrayContaining(["FileSystemDriver", "loadFastlyToml"]));
    expect(results["./fastly-kv-store"]!.exports).toEqual(expect.arrayContaining(["KVStore"]));
    expect(results["./testing"]!.exports).toEqual(expect.arrayContaining(["getTestKv"]));
    expect(results["./fastly-experimental"]!.exports).toEqual([
      "allowDynamicBackends",
      "enableDebugLogging",
      "includeBytes",
      "mapAndLogError",
      "mapError",
      "sdkVersion",
      "setBaseURL",
      "setDefaultBackend",
      "setReusableSandboxOptions",
    ]);
    expect(results["./vite"]!.exports).toEqual(expect.arrayContaining(["edgeKv"]));
    expect(results["./server"]!.exports).toEqual(expect.arrayContaining(["createServer"]));
  }, 120_000);

  it("runs `npx edge-kv --help`", async () => {
    const { stdout } = await project.run("npx --no-install edge-kv --help");
    expect(stdout).toContain("Usage: edge-kv <command> [options]");
    expect(stdout).toContain("serve");
  }, 120_000);

  it("runs `npx edge-kv serve --port 0`, which answers a REST request", async () => {
    const server = project.start("npx --no-install edge-kv serve --port 0 --store greetings");
    const line = await server.waitForLine(/listening on http:\/\//);
    const url = /listening on (http:\/\/\S+)/.exec(line)![1]!;
    const response = await fetch(`${url}/resources/stores/kv`, { headers: { "fastly-key": "any" } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data: Array<{ name: string }> };
    expect(body.data.map((store) => store.name)).toEqual(["greetings"]);
    await server.stop();
  }, 120_000);
});
