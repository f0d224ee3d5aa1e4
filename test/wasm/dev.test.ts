/**
 * `edge-kv dev --wasm`: the compiled app served in the real runtime, as a user runs it in a project
 * folder, on the stores of its fastly.toml — which the REST API under /_edge-kv/api/ sees too.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runDevToExit, startDev } from "../host/dev-cli.js";
import { fixtureWasm } from "./helpers.js";

const folder = mkdtempSync(join(tmpdir(), "edge-kv-dev-wasm-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));
writeFileSync(join(folder, "fastly.toml"), '[local_server.kv_stores]\nkv = [{ key = "seed", data = "from fastly.toml" }]\n');

describe("edge-kv dev --wasm", () => {
  it("serves the compiled app on fastly.toml's stores; the REST API sees what the guest wrote", { timeout: 120_000 }, async () => {
    const dev = await startDev(["--wasm", await fixtureWasm()], folder);
    try {
      expect(dev.stdout()).toMatch(/^edge-kv dev: serving \S+\.wasm on http:\/\/127\.0\.0\.1:\d+\n/);
      expect(await (await fetch(`${dev.url}/kv/get?key=seed`)).json()).toEqual({ found: true, value: "from fastly.toml", metadata: null });
      expect(await (await fetch(`${dev.url}/kv/put?key=note&metadata=m`, { method: "POST", body: "written by the guest" })).json()).toEqual({ error: null });
      const stores = (await (await fetch(`${dev.url}/_edge-kv/api/resources/stores/kv`, { headers: { "Fastly-Key": "local" } })).json()) as { data: Array<{ id: string; name: string }> };
      expect(stores.data.map((store) => store.name)).toEqual(["kv"]);
      const value = await fetch(`${dev.url}/_edge-kv/api/resources/stores/kv/${stores.data[0]!.id}/keys/note`, { headers: { "Fastly-Key": "local" } });
      expect(await value.text()).toBe("written by the guest");
      await dev.waitFor(/GET \/_edge-kv\/api\/resources\/stores\/kv\/\S+\/keys\/note 200/);
    } finally {
      expect(await dev.stop()).toBe(0);
    }
  });

  it("a missing wasm file is a start-up error that says how to build one", async () => {
    const { code, stderr } = await runDevToExit(["--wasm", "bin/main.wasm"], folder);
    expect(code).toBe(2);
    expect(stderr).toContain(`edge-kv: dev: --wasm names ${join(folder, "bin/main.wasm")}, which does not exist (build it with: npx js-compute-runtime src/index.js bin/main.wasm)`);
  });
});
