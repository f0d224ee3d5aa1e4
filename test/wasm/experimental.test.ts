/**
 * fastly:experimental in both runtimes: the starter-kit-shaped app (test/host/fixtures/starter-kit) built
 * with js-compute-runtime in its own folder (includeBytes reads relative to the folder the build runs
 * in) and run by edge-kv/wasm, against edge-kv's JS host with a reader of the same folder.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { resetRegistry, setIncludeBytesReader } from "edge-kv";
import { loadApp } from "edge-kv/host";
import { projectFiles } from "edge-kv/node";
import { describe, expect, it } from "vitest";
import { buildComputeApp } from "../../src/wasm/build.js";
import { loadWasmApp } from "../../src/wasm/index.js";

const project = fileURLToPath(new URL("../host/fixtures/starter-kit", import.meta.url));
const cacheDir = fileURLToPath(new URL("../../node_modules/.cache/edge-kv-wasm", import.meta.url));

async function both(entry: string, path: string): Promise<{ js: Response; wasm: Response }> {
  resetRegistry();
  const { wasm } = await buildComputeApp(entry, { projectRoot: project, cacheDir });
  const wasmApp = await loadWasmApp({ wasm, thread: "main", echo: false });
  const restore = setIncludeBytesReader(projectFiles(project)!);
  const jsApp = await loadApp(new URL(`../host/fixtures/starter-kit/${entry}`, import.meta.url));
  try {
    return { js: await jsApp.fetch(`http://app.test${path}`), wasm: await wasmApp.fetch(`http://app.test${path}`) };
  } finally {
    restore();
    await jsApp.close();
    await wasmApp.close();
  }
}

describe("fastly:experimental: edge-kv's JS host and Fastly's runtime agree", () => {
  it("the starter kit serves the page includeBytes embedded, byte for byte, in both", async () => {
    const { js, wasm } = await both("src/index.js", "/");
    const page = new Uint8Array(readFileSync(`${project}/src/welcome-to-compute.html`));
    expect(new Uint8Array(await wasm.arrayBuffer())).toEqual(page);
    expect(new Uint8Array(await js.arrayBuffer())).toEqual(page);
  });

  it("includeBytes' paths, errors and request-time refusal; the other exports' argument checks", async () => {
    const { js, wasm } = await both("src/probe.js", "/");
    const real = await wasm.json();
    expect(await js.json()).toEqual(real);
    // What the runtime answered (so a change in either shows here).
    expect((real as { request: unknown }).request).toEqual({
      includeBytes: "TypeError: fastly.includeBytes can only be used during request handling, not during initialization",
      setReusableSandboxOptions: "Error: Reusable sandbox options can only be set at initialization time",
    });
  });

  it("a cached build is not reused once a file the app embeds with includeBytes changed", async () => {
    mkdirSync(cacheDir, { recursive: true });
    const copy = mkdtempSync(join(cacheDir, "starter-kit-")); // under the repo, so @fastly/js-compute resolves
    try {
      cpSync(project, copy, { recursive: true });
      const first = await buildComputeApp("src/index.js", { projectRoot: copy, cacheDir });
      writeFileSync(join(copy, "src/welcome-to-compute.html"), "changed");
      const second = await buildComputeApp("src/index.js", { projectRoot: copy, cacheDir });
      expect(second.hash).not.toBe(first.hash);
      const app = await loadWasmApp({ wasm: second.wasm, thread: "main", echo: false });
      try {
        expect(await (await app.fetch("http://app.test/")).text()).toBe("changed");
      } finally {
        await app.close();
      }
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });
});
