/**
 * Without the plugin's stores: createTestKv() builds its own (any test runner works; only
 * `fastly:kv-store` must resolve to edge-kv, e.g. through an alias), and the app is loaded against them.
 */
import { afterAll, beforeEach, expect, it } from "vitest";
import { loadApp } from "edge-kv/host";
import { createTestKv } from "edge-kv/testing";

const kv = createTestKv({ stores: { links: { seed: { "link:gh": "https://github.com/" } } }, configStores: { settings: { max_list: "10" } } });
beforeEach(() => kv.reset()); // isolation: every test starts from the seed
afterAll(() => kv.restore()); // put back the registry that was active before

it("serves the links of its own seed", async () => {
  const app = await loadApp(new URL("../src/index.ts", import.meta.url), { registry: kv.registry });
  const response = await app.fetch("/gh");
  expect(response.headers.get("location")).toBe("https://github.com/");
  expect(await kv.snapshot("links")).toEqual({ "link:gh": "https://github.com/" });
});
