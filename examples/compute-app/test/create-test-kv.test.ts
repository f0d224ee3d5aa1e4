/**
 * Without the plugin's setup: createTestKv() builds its own stores (any test runner works; only
 * `fastly:kv-store` must resolve to edge-kv, e.g. through an alias).
 */
import { afterAll, beforeEach, expect, it } from "vitest";
import { createTestKv } from "edge-kv/testing";
import { handleRequest } from "../src/app.js";

const kv = createTestKv({ stores: { links: { seed: { "link:gh": "https://github.com/" } } } });
beforeEach(() => kv.reset()); // isolation: every test starts from the seed
afterAll(() => kv.restore()); // put back the registry that was active before

it("serves the links of its own seed", async () => {
  const response = await handleRequest(new Request("https://sho.rt/gh"));
  expect(response.headers.get("location")).toBe("https://github.com/");
  expect(await kv.snapshot("links")).toEqual({ "link:gh": "https://github.com/" });
});
