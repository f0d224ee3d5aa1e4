/**
 * Property-based differential test: random scripts of store operations on adversarial keys, values,
 * metadata and options (test/wasm/fuzz-support.ts), run through edge-kv's JS app host and through
 * Fastly's real runtime (edge-kv/wasm) by one fixture app (test/wasm/fixtures/script-app). Both must
 * answer every operation alike — the same value, the same error class and message, thrown or rejected
 * alike — and leave the same stores (value and metadata bytes, generation, expiry). `npm test` runs a
 * fixed seed; EDGE_KV_SOAK=1 (npm run test:soak) many more with a random one (EDGE_KV_SEED replays).
 */
import fc from "fast-check";
import { loadApp } from "edge-kv/host";
import { beforeAll, describe, expect, it } from "vitest";
import { loadWasmApp } from "../../src/wasm/index.js";
import { checkProperty, runs } from "../reliability/settings.js";
import { ENTRY, resourceScriptArb, runScript, scriptArb, type Fetcher, type Step } from "./fuzz-support.js";
import { fixtureWasm } from "./helpers.js";

describe("random scripts: the JS app host and the real runtime agree", () => {
  let wasm: string;
  beforeAll(async () => {
    wasm = await fixtureWasm(ENTRY);
  });
  const js = () => loadApp(ENTRY, { onError: () => undefined }) as Promise<Fetcher>;
  const real = () => loadWasmApp({ wasm, thread: "main", echo: false });

  it("KV operations", { timeout: 600_000 }, async () => {
    await checkProperty(
      fc.asyncProperty(scriptArb, async (steps: Step[]) => {
        expect(await runScript(js, steps)).toEqual(await runScript(real, steps));
      }),
      runs(40),
    );
  });

  it("config store, dictionary, secret store and env lookups", { timeout: 600_000 }, async () => {
    await checkProperty(
      fc.asyncProperty(resourceScriptArb, async (ops) => {
        expect(await runScript(js, ops)).toEqual(await runScript(real, ops));
      }),
      runs(10),
    );
  });
});
