/**
 * Added to Vitest's setupFiles by edgeKv(): sets up the configured stores in each test file and
 * puts them back to their seeds before every test.
 */
import { beforeEach } from "vitest";
import config from "virtual:edge-kv/config"; // served by the edgeKv() plugin
import { setUpStores } from "./plugin-runtime.js";

const kv = await setUpStores(config);
beforeEach(async () => {
  await kv.reset();
});
