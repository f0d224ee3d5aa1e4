/**
 * Added to Vitest's setupFiles by edgeKv(): sets up the configured stores in each test file and
 * puts them back to their seeds before every test.
 */
import { beforeEach } from "vitest";
// @ts-ignore -- served by the edgeKv() plugin
import config from "virtual:edge-kv/config";
import { setUpStores } from "./plugin-runtime.js";
import type { ConfiguredKv } from "../testing/current.js";

const kv = await setUpStores(config as ConfiguredKv);
beforeEach(async () => {
  await kv.reset();
});
