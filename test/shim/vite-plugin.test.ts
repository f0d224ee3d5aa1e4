import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { edgeKv } from "edge-kv/vite";
import { fixture, runFixture } from "./run-fixture.js";

describe("edgeKv() Vite/Vitest plugin, run in real Vitest child processes", () => {
  it("resolves fastly:kv-store on inline stores and seed folders, maps fastly:env, resets per test, installs globals", async () => {
    const report = await runFixture(fixture("vitest-inline"));
    expect(report.tests.filter((test) => test.status === "failed"), report.output).toEqual([]);
    expect(report.tests.map((test) => test.title)).toEqual([
      "fastly:kv-store exports exactly KVStore, edge-kv's",
      "the app reads the inline seed",
      "a test writes through the app and reads back value, metadata and expiry",
      "the next test starts from the seed again",
      "the fake clock expires a seeded ttl",
      "fault injection reaches the app with the runtime's error",
      "a seed folder becomes entries keyed by relative path",
      "globals: true installs KVStore and KVStoreEntry on globalThis",
      "an undefined store fails with the runtime's TypeError and a hint naming the defined stores",
      "keeps what the app writes in that folder (a second driver on the folder sees it)",
      "is emptied and re-seeded before the next test",
    ]);
    expect(report.tests.slice(-2).map((test) => test.status)).toEqual(["skipped", "skipped"]);
    expect(report.exitCode).toBe(0);
  });

  it("a store with driver: { directory } keeps data in that folder and is re-seeded before every test", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-kv-vite-fs-"));
    try {
      const report = await runFixture(fixture("vitest-inline"), 60_000, undefined, { EDGE_KV_FIXTURE_DATA: dir });
      expect(report.tests.filter((test) => test.status !== "passed"), report.output).toEqual([]);
      expect(report.tests.map((test) => test.title)).toContain("is emptied and re-seeded before the next test");
      expect(report.numPassedTests).toBe(11);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("fails an import of an unmapped fastly:* module with an error naming it and the option to use", async () => {
    const report = await runFixture(fixture("vitest-unmapped"));
    expect(report.exitCode).not.toBe(0);
    expect(report.suiteMessages.join("\n")).toContain(
      'edge-kv: cannot resolve "fastly:geolocation" (imported from app.ts): edge-kv provides "fastly:kv-store", "fastly:config-store", "fastly:dictionary", "fastly:secret-store", "fastly:env" and "fastly:experimental". Map "fastly:geolocation" to a module of your own: edgeKv({ modules: { "fastly:geolocation": "./path/to/your-module.ts" } }) in your vite/vitest config',
    );
  });
});

describe("edgeKv() with every fastly:* module and a dependency in node_modules (real Vitest child process)", () => {
  const modules = join(fixture("vitest-compute"), "node_modules");
  afterAll(() => rmSync(modules, { recursive: true, force: true }));

  it("serves all six modules from fastly.toml and options, installs the globals, resets per test, and hands the modules to packages Node loads", async () => {
    // Two packages as npm would install them (node_modules is not committed): one uses the modules edge-kv provides, one an unprovided module.
    writePackage(join(modules, "fake-compute-lib"), [
      'import { KVStore } from "fastly:kv-store";',
      'import { ConfigStore } from "fastly:config-store";',
      'import { SecretStore, SecretStoreEntry } from "fastly:secret-store";',
      'import { env } from "fastly:env";',
      'import { includeBytes } from "fastly:experimental";',
      "export { KVStore, ConfigStore, SecretStore, SecretStoreEntry, env, includeBytes };",
      "export async function greeting() {",
      '  const page = await new KVStore("pages").get("index");',
      '  const token = await new SecretStore("vault").get("token");',
      '  return `${new ConfigStore("settings").get("greeting")} ${await page.text()} from ${env("FASTLY_POP")} (${token.plaintext()})`;',
      "}",
    ]);
    writePackage(join(modules, "fake-geo-lib"), ['import { getGeolocationForIpAddress } from "fastly:geolocation";', "export { getGeolocationForIpAddress };"]);
    const report = await runFixture(fixture("vitest-compute"));
    expect(report.tests.filter((test) => test.status !== "passed"), report.output).toEqual([]);
    expect(report.numPassedTests).toBe(7);
  });
});

describe("edgeKv() with a 22 MB value (it used to be inlined into module source: \"Failed to convert rust String into napi string\")", () => {
  it("keeps the bytes out of the config module (a marker into a blob file under Vite's cache folder) and a real Vitest run reads them back", async () => {
    const root = mkdtempSync(join(tmpdir(), "edge-kv-big-"));
    try {
      const size = 22_000_000;
      const value = new Uint8Array(size);
      for (let i = 0; i < size; i += 4096) value[i] = (i / 4096) & 0xff;
      value[size - 1] = 0x7f;
      writeFileSync(join(root, "big.bin"), value);
      writeFileSync(join(root, "fastly.toml"), '[local_server.kv_stores]\nfiles = [ { key = "big", file = "big.bin" }, { key = "small", data = "s" } ]\n');
      const plugin = edgeKv();
      (plugin.configResolved as (config: { root: string; cacheDir: string }) => void)({ root, cacheDir: join(root, "cache") });
      const source = await (plugin.load as (id: string) => Promise<string>).call({}, "\0edge-kv:config");
      expect(source.length).toBeLessThan(2_000);
      expect(source).toContain('"files":{"seed":{"big":{"value":{"$edgeKvBlob":[0,22000000]}},"small":{"value":new Uint8Array([115])}}}');
      expect(source).toMatch(/"blob":\{"path":"[^"]*\/cache\/edge-kv\/[0-9a-f]{32}\.bin","url":"\/@fs\/[^"]*","bytes":22000000\}/);

      // The same project, tested by Vitest in a child process (node_modules linked so the config and test resolve vitest).
      symlinkSync(fileURLToPath(new URL("../../node_modules", import.meta.url)), join(root, "node_modules"));
      writeFileSync(join(root, "vitest.config.ts"), `import { defineConfig } from "vitest/config";\nimport { edgeKv } from ${JSON.stringify(fileURLToPath(new URL("../../src/shim/vite.ts", import.meta.url)))};\nexport default defineConfig({ plugins: [edgeKv()], test: { include: ["*.kvtest.ts"] } });\n`);
      writeFileSync(
        join(root, "big.kvtest.ts"),
        [
          'import { KVStore } from "fastly:kv-store";',
          'import { expect, it } from "vitest";',
          'it("reads the 22 MB value", async () => {',
          '  const bytes = new Uint8Array(await (await new KVStore("files").get("big"))!.arrayBuffer());',
          "  expect([bytes.byteLength, bytes[4096], bytes[8192], bytes[bytes.byteLength - 1]]).toEqual([22000000, 1, 2, 127]);",
          "});",
        ].join("\n"),
      );
      const report = await runFixture(root);
      expect(report.tests.map((test) => [test.title, test.status]), report.output).toEqual([["reads the 22 MB value", "passed"]]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

function writePackage(folder: string, lines: string[]): void {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, "package.json"), JSON.stringify({ name: folder.split("/").pop(), version: "1.0.0", type: "module", exports: "./index.js" }));
  writeFileSync(join(folder, "index.js"), `${lines.join("\n")}\n`);
}

describe("edgeKv() options", () => {
  const load = async (options: Parameters<typeof edgeKv>[0], root = fixture("vitest-inline")) => {
    const plugin = edgeKv(options);
    (plugin.configResolved as (config: { root: string }) => void)({ root });
    return (plugin.load as (id: string) => Promise<string>).call({}, "\0edge-kv:config");
  };

  it("serializes seeds, including bytes, into the config module", async () => {
    const source = await load({ stores: { s: { seed: { a: "1", b: new Uint8Array([1, 2]) } } }, fastlyToml: false });
    expect(source).toContain('"seed":{"a":"1","b":new Uint8Array([1,2])}');
  });

  it("serializes ArrayBuffer and other views as bytes", async () => {
    const source = await load({ stores: { s: { seed: { a: new Uint8Array([7, 8]).buffer, b: new DataView(new Uint8Array([1, 2, 3]).buffer, 1, 2) } } } });
    expect(source).toContain('"seed":{"a":new Uint8Array([7,8]),"b":new Uint8Array([2,3])}');
  });

  it("reads fastly.toml [local_server.kv_stores] by default when no stores are given", async () => {
    const source = await load({}, fixture("node-app"));
    expect(source).toContain('"config":{"seed":{"greeting":{"value":new Uint8Array([104,101,108,108,111]),"metadata":"v1"}}}');
    expect(source).toContain('"source":"fastly.toml"');
  });

  it("with stores and an explicit fastlyToml, adds the inline stores to those of the file", async () => {
    const source = await load({ fastlyToml: "fastly.toml", stores: { extra: { seed: { k: "v" } } } }, fixture("node-app"));
    expect(source).toContain('"config":{"seed":{"greeting"');
    expect(source).toContain('"extra":{"seed":{"k":"v"}}');
  });

  it("passes on fastly.toml's own error, naming the file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-kv-toml-"));
    try {
      writeFileSync(join(dir, "fastly.toml"), "[local_server.kv_stores]\nbroken = 5\n");
      await expect(load({}, dir)).rejects.toThrow(join(dir, "fastly.toml"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [{ stores: { s: { sed: {} } } }, 'edge-kv: edgeKv({ stores: { "s": ... } }): unknown option "sed". Store options are: seed, folder, driver, profile, maxMetadataBytes, consistency'],
    [{ stores: { s: { folder: "./missing" } } }, "does not exist. Create it, or fix the folder path"],
    [{ stores: { s: { driver: "disk" } } }, 'edge-kv: edgeKv({ stores: { "s": ... } }): driver must be "memory", { directory: "path/to/folder" } or { redis: "redis://host:6379" }, got "disk"'],
    [{ fastlyToml: "nope.toml" }, "edge-kv: edgeKv: fastlyToml points to"],
    [{ clock: "fast" }, 'edge-kv: edgeKv: clock must be "fake" or "system", got "fast"'],
    [{ modules: { env: "./x.ts" } }, 'edge-kv: edgeKv: modules maps fastly:* module names, got "env"'],
  ])("refuses %j with a clear EdgeKvError", async (options, message) => {
    await expect(load(options as never)).rejects.toThrow(message);
  });
});
