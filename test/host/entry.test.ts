/** Which file `edge-kv dev` serves when no entry is given: where Fastly's tooling looks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findAppEntry, jsComputeInput, parseJsonc } from "../../src/host/node/entry.js";

const root = mkdtempSync(join(tmpdir(), "edge-kv-entry-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let count = 0;

function project(files: Record<string, string>): string {
  const folder = join(root, String(++count));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(folder, path, ".."), { recursive: true });
    writeFileSync(join(folder, path), text);
  }
  return folder;
}

describe("jsComputeInput", () => {
  it("finds the input file of js-compute-runtime / js-compute, after options, through npx or npm exec", () => {
    expect(jsComputeInput("js-compute-runtime src/index.js bin/main.wasm")).toBe("src/index.js");
    expect(jsComputeInput("tsc && js-compute-runtime --enable-experimental-high-resolution-time-methods --env A=1 ./build/index.js ./bin/main.wasm")).toBe("./build/index.js");
    expect(jsComputeInput("npx js-compute src/app.ts bin/main.wasm")).toBe("src/app.ts");
    expect(jsComputeInput("npm exec -- js-compute-runtime src/index.mjs")).toBe("src/index.mjs");
    expect(jsComputeInput("webpack && echo done")).toBeUndefined();
    expect(jsComputeInput("js-compute-runtime")).toBeUndefined();
  });
});

describe("findAppEntry", () => {
  it("takes the input of fastly.toml's [scripts] build first", () => {
    const folder = project({ "fastly.toml": '[scripts]\nbuild = "js-compute-runtime src/worker.ts bin/main.wasm"\n', "src/worker.ts": "", "src/index.ts": "" });
    expect(findAppEntry(folder)).toEqual({ path: join(folder, "src/worker.ts"), source: "fastly.toml [scripts] build" });
  });

  it("then package.json scripts.build (fastly.toml's 'npm run build' names no file)", () => {
    const folder = project({ "fastly.toml": '[scripts]\nbuild = "npm run build"\n', "package.json": JSON.stringify({ scripts: { build: "js-compute-runtime src/main.js bin/main.wasm" } }), "src/main.js": "" });
    expect(findAppEntry(folder)).toEqual({ path: join(folder, "src/main.js"), source: "package.json scripts.build" });
  });

  it("skips a build output under bin/ (webpack's bin/index.js) and a file that does not exist yet, then tries main, then src/index.*", () => {
    const withMain = project({ "package.json": JSON.stringify({ main: "app.js", scripts: { build: "js-compute-runtime bin/index.js bin/main.wasm" } }), "app.js": "" });
    expect(findAppEntry(withMain)).toEqual({ path: join(withMain, "app.js"), source: "package.json main" });
    const conventional = project({ "package.json": JSON.stringify({ scripts: { build: "js-compute-runtime build/index.js bin/main.wasm" } }), "src/index.js": "", "src/index.ts": "" });
    expect(findAppEntry(conventional)).toEqual({ path: join(conventional, "src/index.ts"), source: "the starter kits' convention" });
  });

  it("the TypeScript starter kit (tsc to build/, then js-compute-runtime ./build/index.js): serves src/index.ts, not build/index.js left by the last build", () => {
    const tsconfig = `{
      // as the starter kit writes it: comments and a trailing comma
      "compilerOptions": { "outDir": "./build", /* compiled JS */ "rootDir": "./src", "strict": true, },
      "include": ["./src/**/*.ts"],
    }`;
    const kit = project({
      "package.json": JSON.stringify({ scripts: { prebuild: "tsc", build: "js-compute-runtime ./build/index.js ./bin/main.wasm" } }),
      "tsconfig.json": tsconfig,
      "src/index.ts": "",
      "build/index.js": "// stale",
    });
    // prebuild runs tsc but names no file; build names tsc's output without running tsc itself
    expect(findAppEntry(kit).path).toBe(join(kit, "src/index.ts"));
    const oneScript = project({
      "package.json": JSON.stringify({ scripts: { build: "tsc && js-compute-runtime ./build/index.js ./bin/main.wasm" } }),
      "tsconfig.json": tsconfig,
      "src/index.ts": "",
      "src/index.js": "",
      "build/index.js": "// stale",
    });
    expect(findAppEntry(oneScript)).toEqual({ path: join(oneScript, "src/index.ts"), source: "package.json scripts.build, the TypeScript that tsc compiles to build/index.js" });
    const nested = project({
      "fastly.toml": '[scripts]\nbuild = "npx tsc -p config/tsconfig.build.json && js-compute-runtime out/app/main.mjs bin/main.wasm"\n',
      "config/tsconfig.build.json": JSON.stringify({ compilerOptions: { outDir: "../out", rootDir: "../lib" } }),
      "lib/app/main.mts": "",
      "out/app/main.mjs": "",
    });
    expect(findAppEntry(nested)).toEqual({ path: join(nested, "lib/app/main.mts"), source: "fastly.toml [scripts] build, the TypeScript that tsc compiles to out/app/main.mjs" });
  });

  it("tsc's output with no source for it is skipped, saying so; without an outDir a .js file with no .ts beside it is the source", () => {
    const orphan = project({
      "package.json": JSON.stringify({ scripts: { build: "tsc && js-compute-runtime build/index.js bin/main.wasm" } }),
      "tsconfig.json": JSON.stringify({ compilerOptions: { outDir: "build", rootDir: "app" } }),
      "build/index.js": "",
    });
    expect(() => findAppEntry(orphan)).toThrow("build/index.js (package.json scripts.build: tsc's output, skipped; no source for it under app)");
    const beside = project({
      "package.json": JSON.stringify({ scripts: { build: "tsc && js-compute-runtime src/index.js bin/main.wasm" } }),
      "tsconfig.json": "{}",
      "src/index.js": "",
    });
    expect(findAppEntry(beside)).toEqual({ path: join(beside, "src/index.js"), source: "package.json scripts.build" });
    writeFileSync(join(beside, "src/index.ts"), "");
    expect(findAppEntry(beside).path).toBe(join(beside, "src/index.ts"));
  });

  it("parseJsonc keeps strings that look like comments or trailing commas", () => {
    expect(parseJsonc('{"a": "x // y", "b": "/* z */", "c": ",}", /* c */ "d": [1, 2,], // e\n}')).toEqual({ a: "x // y", b: "/* z */", c: ",}", d: [1, 2] });
    expect(parseJsonc('{"a": "\\"quoted\\" // no"}')).toEqual({ a: '"quoted" // no' });
    expect(parseJsonc("{ not json")).toBeUndefined();
  });

  it("an explicit entry must be a file", () => {
    const folder = project({ "src/index.ts": "" });
    expect(findAppEntry(folder, "src/index.ts").path).toBe(join(folder, "src/index.ts"));
    expect(() => findAppEntry(folder, "src")).toThrow("edge-kv: dev: the entry src is a folder; pass the app's file, e.g. edge-kv dev src/index.ts");
  });
});
