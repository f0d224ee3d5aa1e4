/**
 * edge-kv/wasm/host's loadApp: edge-kv/host's signature, the entry built to wasm (cached) and run in
 * the real runtime — what lets one test suite run in both runtimes.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resetRegistry } from "edge-kv";
import { loadWasmApp } from "edge-kv/wasm";
import { loadApp } from "edge-kv/wasm/host";
import { describe, expect, it } from "vitest";

describe("loadApp from edge-kv/wasm/host", () => {
  it("builds the entry file and serves it; relative URLs resolve against the origin option", async () => {
    resetRegistry().defineStore("kv");
    const app = await loadApp(new URL("./fixtures/app/src/index.js", import.meta.url), { origin: "https://sho.rt", thread: "main", wasm: { echo: false } });
    try {
      expect(await (await app.fetch("/hello")).text()).toBe("hello");
      expect(((await (await app.fetch("/echo")).json()) as { url: string }).url).toBe("https://sho.rt/echo");
    } finally {
      await app.close();
    }
  });

  it("a fastly.toml backend without a url is refused before anything runs, with file and backend named", async () => {
    const toml = join(mkdtempSync(join(tmpdir(), "edge-kv-wasm-")), "fastly.toml");
    writeFileSync(toml, '[local_server.backends.origin]\noverride_host = "x"\n');
    await expect(loadWasmApp({ wasm: new Uint8Array(8), fastlyToml: toml })).rejects.toThrow(`edge-kv: invalid configuration for 'origin': missing 'url' field [file ${toml}]`);
  });

  it("refuses a loader function with a message saying what to pass", async () => {
    await expect(loadApp(() => ({}))).rejects.toThrow(
      "edge-kv: loadApp (wasm runtime): the app is built from its entry file, so pass a path or a file URL (new URL('../src/index.ts', import.meta.url)), not a function that imports it",
    );
  });
});
