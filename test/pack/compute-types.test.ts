/**
 * edge-kv's published declaration files in a Compute TypeScript project set up exactly as Fastly's
 * TypeScript starter kit sets it up (github.com/fastly/compute-starter-kit-typescript, tsconfig.json
 * and package.json at commit a6611e4 "Improve tsconfig.json", HEAD 6a02ce9): lib ES2022 only (no DOM),
 * moduleResolution bundler with the "fastly" condition, @fastly/js-compute's globals by a triple-slash
 * reference, no skipLibCheck. tsc is the project's own devDependency.
 *
 * - A test helper importing edge-kv, edge-kv/testing, edge-kv/vite, edge-kv/fastly-kv-store,
 *   edge-kv/fastly-config-store, -dictionary, -secret-store, -env, -experimental and edge-kv/globals type-checks with no error at all: edge-kv's declarations need neither the DOM lib
 *   nor Node's types.
 * - A test file that also imports vitest: no error in edge-kv's declarations or the project's code;
 *   the only ones are in vitest's and vite's own declarations (they name AbortSignal and WebSocket,
 *   which @fastly/js-compute's globals do not declare, and the DOM lib or @types/node would clash with
 *   those globals). The documented tsconfig for tests (skipLibCheck for them) then passes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { removeScratchProjects, repoRoot, scratchProject, type ScratchProject } from "./pack-fixture.js";

afterAll(removeScratchProjects);

/** The starter kit's tsconfig.json, verbatim (a6611e4). */
const STARTER_TSCONFIG = `{
  "compilerOptions": {
    "strict": true,
    "module": "ES2022",
    "target": "ES2022",
    "moduleResolution": "bundler",
    "customConditions": [ "fastly" ],
    "esModuleInterop": true,
    "lib": [ "ES2022" ],
    "rootDir": "src",
    "outDir": "build"
  },
  "include": [
    "./src/**/*.js",
    "./src/**/*.ts",
  ],
  "exclude": [
    "node_modules"
  ]
}
`;

/** The starter kit's package.json (a6611e4), with vitest added as a project adds it for tests. */
const STARTER_PACKAGE = {
  type: "module",
  engines: { node: "^16 || >=18" },
  devDependencies: { typescript: "^5.2.2", vitest: "^4.1.12" },
  dependencies: { "@fastly/js-compute": "^3.7.0" },
  scripts: { prebuild: "tsc", build: "js-compute-runtime build/index.js bin/main.wasm" },
};

const APP = `/// <reference types="@fastly/js-compute" />
import { KVStore } from "fastly:kv-store";

addEventListener("fetch", (event) => event.respondWith(handleRequest(event)));

async function handleRequest(event: FetchEvent): Promise<Response> {
  const store = new KVStore("greetings");
  const entry = await store.get(new URL(event.request.url).pathname.slice(1) || "hello");
  if (entry === null) return new Response("not found", { status: 404 });
  return new Response(await entry.text(), { headers: { "x-meta": entry.metadataText() ?? "" } });
}
`;

/** Uses the public types of the web-side entries, with no test framework involved. */
const HELPERS = `/// <reference types="@fastly/js-compute" />
import { KVRegistry, KVStore, FakeClock, IndexedDBDriver, resetRegistry, type KVDriver, type RecordView } from "edge-kv";
import { getTestKv, type TestKv } from "edge-kv/testing";
import { edgeKv, type EdgeKvOptions } from "edge-kv/vite";
import { KVStore as ShimKVStore } from "edge-kv/fastly-kv-store";
import { ConfigStore } from "edge-kv/fastly-config-store";
import { Dictionary } from "edge-kv/fastly-dictionary";
import { SecretStore } from "edge-kv/fastly-secret-store";
import { env } from "edge-kv/fastly-env";
import { includeBytes, sdkVersion } from "edge-kv/fastly-experimental";
import "edge-kv/globals";

export const options: EdgeKvOptions = { stores: { greetings: { seed: { hello: { value: "hi", metadata: "m" } } } } };
export const plugin = edgeKv(options);
export const pluginName: string = plugin.name;
export function fresh(): KVRegistry {
  const registry = resetRegistry({ clock: new FakeClock() });
  registry.defineStore("greetings");
  return registry;
}
export async function view(): Promise<RecordView | null> {
  await new KVStore("greetings").put("k", "v", { metadata: "m", ttl: 60 });
  return fresh().store("greetings").inspect("k");
}
export const kv: () => TestKv = getTestKv;
export const same: typeof KVStore = ShimKVStore;
export const driverType = (driver: KVDriver): string => driver.description;
export const idb = IndexedDBDriver;
export const mode = (): string | null => new ConfigStore("settings").get("mode") ?? new Dictionary("settings").get("mode");
export const token = async (): Promise<string | undefined> => (await new SecretStore("vault").get("token"))?.plaintext();
export const host = (): string | undefined => env("FASTLY_HOSTNAME");
export const page = (): Uint8Array<ArrayBuffer> => includeBytes("src/page.html");
export const sdk: string = sdkVersion;
`;

const TEST = `/// <reference types="@fastly/js-compute" />
import { describe, expect, it } from "vitest";
import { getTestKv } from "edge-kv/testing";
import { plugin } from "./kv-helpers.js";

describe("app", () => {
  it("reads the seed", async () => {
    expect(plugin.name).toBe("edge-kv");
    expect(await getTestKv().snapshot("greetings")).toEqual({ hello: "hi" });
  });
});
`;

/** README's tsconfig for type-checking tests (the json block of "Types in a Compute TypeScript project"). */
const TEST_TSCONFIG = (() => {
  const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Types in a Compute TypeScript project"));
  const block = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (block === undefined) throw new Error("README.md has no json block under 'Types in a Compute TypeScript project'");
  return block;
})();

interface Diagnostic {
  file: string;
  text: string;
}

function diagnostics(output: string): Diagnostic[] {
  return output
    .split("\n")
    .filter((line) => /error TS\d+/.test(line))
    .map((line) => ({ file: line.replace(/\(\d+,\d+\): error.*$/, ""), text: line }));
}

describe("types in a Compute TypeScript project (Fastly's starter kit setup, no skipLibCheck)", () => {
  let project: ScratchProject;
  beforeAll(async () => {
    project = await scratchProject({
      files: { "package.json": JSON.stringify(STARTER_PACKAGE), "tsconfig.json": STARTER_TSCONFIG, "src/index.ts": APP, "src/kv-helpers.ts": HELPERS },
      link: ["typescript", "@fastly/js-compute", "vitest", "vite"],
    });
  }, 300_000);

  const tsc = async (args: string) => {
    const { code, stdout, stderr } = await project.run(`node node_modules/typescript/bin/tsc ${args}`, { allowFailure: true, timeoutMs: 180_000 });
    return { code, errors: diagnostics(stdout + stderr), output: stdout + stderr };
  };

  it("type-checks the app and helpers importing edge-kv, its testing, vite and globals entries and every fastly-* module entry with no error", async () => {
    const { code, output } = await tsc("-p tsconfig.json --noEmit");
    expect(output.trim()).toBe("");
    expect(code).toBe(0);
  }, 180_000);

  it("a vitest test file adds errors only in vitest's and vite's own declarations; with the documented test tsconfig it passes", async () => {
    project.write({ "src/app.test.ts": TEST, "tsconfig.test.json": TEST_TSCONFIG });
    const strict = await tsc("-p tsconfig.json --noEmit");
    const outside = strict.errors.filter((error) => !/node_modules\/(vitest|@vitest|vite|tinybench)\//.test(error.file.replace(/\\/g, "/")));
    expect(outside, "errors outside vitest's and vite's declaration files").toEqual([]);
    expect(strict.errors.some((error) => /edge-kv/.test(error.file))).toBe(false);
    const relaxed = await tsc("-p tsconfig.test.json");
    expect(relaxed.output.trim()).toBe("");
    expect(relaxed.code).toBe(0);
  }, 300_000);

  it("the documented test tsconfig checks test files where projects keep them (test/, vitest.config.ts) beside the starter kit's rootDir src", async () => {
    project.write({
      "test/app.test.ts": TEST.replace('"./kv-helpers.js"', '"../src/kv-helpers.js"'),
      "vitest.config.ts": 'import { defineConfig } from "vitest/config";\nimport { edgeKv } from "edge-kv/vite";\n\nexport default defineConfig({ plugins: [edgeKv()] });\n',
      "tsconfig.test.json": TEST_TSCONFIG,
    });
    const clean = await tsc("-p tsconfig.test.json");
    expect(clean.output.trim()).toBe("");
    expect(clean.code).toBe(0);
    // A wrong test file is reported: the test files are checked, not silently left out.
    project.write({ "test/wrong.test.ts": 'import { getTestKv } from "edge-kv/testing";\nexport const n: number = getTestKv().snapshot("x");\n' });
    const wrong = await tsc("-p tsconfig.test.json");
    expect(wrong.errors.map((error) => error.file)).toEqual(["test/wrong.test.ts"]);
    expect(wrong.code).not.toBe(0);
  }, 300_000);
});
