/**
 * Added to Vitest's setupFiles by edgeKv(): sets up the configured stores in each test file, puts them
 * back to their seeds before every test, and hands the fastly:* modules to dependencies that Node
 * loads itself (node-bridge.ts).
 */
import { beforeEach } from "vitest";
import config from "virtual:edge-kv/config"; // served by the edgeKv() plugin
import { namespaces, unmapped } from "virtual:edge-kv/modules";
import { setUpStores } from "./plugin-runtime.js";
import { bridgeFastlyModules } from "./node-bridge.js";

const kv = await setUpStores(config);
bridgeFastlyModules(namespaces, unmapped);
beforeEach(async () => {
  await kv.reset();
});
