/** Which file `edge-kv dev` serves when no entry is given: where Fastly's tooling looks. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findAppEntry, jsComputeInput } from "../../src/host/node/entry.js";

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

  it("an explicit entry must be a file", () => {
    const folder = project({ "src/index.ts": "" });
    expect(findAppEntry(folder, "src/index.ts").path).toBe(join(folder, "src/index.ts"));
    expect(() => findAppEntry(folder, "src")).toThrow("edge-kv: dev: the entry src is a folder; pass the app's file, e.g. edge-kv dev src/index.ts");
  });
});
