import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Rollup } from "vite";
import { afterAll, expect, it } from "vitest";
import { edgeKv } from "edge-kv/vite";

const root = fileURLToPath(new URL("./fixtures/vite-app/", import.meta.url));
const out = mkdtempSync(join(tmpdir(), "edge-kv-vite-build-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it("vite build with edgeKv() bundles fastly:kv-store and the inline stores, on the real clock outside Vitest; the bundle runs", async () => {
  const vitest = process.env.VITEST;
  delete process.env.VITEST; // as in a plain `vite build`
  const result = (await build({
    root,
    configFile: false,
    logLevel: "silent",
    plugins: [edgeKv({ stores: { flags: { seed: { "dark-mode": "off" } } }, fastlyToml: false })],
    build: { write: false, target: "es2022", minify: false, lib: { entry: join(root, "main.ts"), formats: ["es"], fileName: "main" } },
  }).finally(() => {
    process.env.VITEST = vitest;
  })) as Rollup.RollupOutput[];
  const chunk = result[0]!.output.find((item) => item.type === "chunk" && item.isEntry) as Rollup.OutputChunk;
  expect(chunk.imports).toEqual([]);
  expect(chunk.code).toMatch(/\bclock"?: ?"system"/);
  const file = join(out, "main.mjs");
  writeFileSync(file, chunk.code);
  const run = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [file], { timeout: 30_000 }, (_error, stdout, stderr) => resolve({ stdout, stderr }));
  });
  expect(run.stderr).toBe("");
  expect(run.stdout).toBe("beta=on seeded=off keys=beta,dark-mode\n");
});
