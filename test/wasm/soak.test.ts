/**
 * Stability: thousands of requests, each in a fresh instance of the guest, with no garbage
 * collection forced between them (a throwaway prototype host crashed Node 20 after ~15; see
 * docs/wasm-host.md "Stability"). Every answer is checked, and the process must not keep instances
 * alive: its memory after the run stays within bounds of what it was after warm-up.
 * EDGE_KV_SOAK=1 runs ten times as many requests.
 */
import { KVStore, resetRegistry } from "edge-kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadWasmApp, type WasmApp } from "../../src/wasm/index.js";
import { fixtureWasm } from "./helpers.js";

const scale = process.env.EDGE_KV_SOAK ? 10 : 1;

async function soak(app: WasmApp, requests: number, concurrency: number): Promise<{ rssGrowthMb: number }> {
  let next = 0;
  let rssAfterWarmup = 0;
  const worker = async () => {
    for (let i = next++; i < requests; i = next++) {
      const key = `k${i % 50}`;
      if (i % 3 === 0) {
        const put = await app.fetch(`http://soak.test/kv/put?key=${key}&metadata=m${i}`, { method: "POST", body: `value ${i}` });
        expect(await put.json()).toEqual({ error: null });
      } else if (i % 3 === 1) {
        const got = (await (await app.fetch(`http://soak.test/kv/get?key=${key}`)).json()) as { found: boolean; value?: string };
        if (got.found) expect(got.value).toMatch(/^value \d+$/);
      } else {
        const client = (await (await app.fetch("http://soak.test/client")).json()) as { address: string };
        expect(client.address).toBe("127.0.0.1");
      }
      if (i === 200) rssAfterWarmup = process.memoryUsage().rss;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await app.settled();
  return { rssGrowthMb: (process.memoryUsage().rss - rssAfterWarmup) / 1e6 };
}

describe("soak: fresh instances per request", () => {
  let wasm: string;
  beforeAll(async () => {
    wasm = await fixtureWasm();
    resetRegistry().defineStore("kv");
  });
  let app: WasmApp | undefined;
  afterAll(() => app?.close());

  it(`${1500 * scale} requests with the guest on the main thread`, { timeout: 600_000 }, async () => {
    app = await loadWasmApp({ wasm, thread: "main", echo: false });
    const { rssGrowthMb } = await soak(app, 1500 * scale, 1);
    // Each instance has a 7+ MB linear memory: instances kept alive would add gigabytes.
    expect(rssGrowthMb).toBeLessThan(1000);
    expect(app.unsupported).toEqual([]);
    expect(await (await new KVStore("kv").get("k0"))?.text()).toMatch(/^value \d+$/);
    await app.close();
  });

  it(`${500 * scale} requests in two worker threads, four at a time`, { timeout: 600_000 }, async () => {
    app = await loadWasmApp({ wasm, thread: "worker", workers: 2, echo: false });
    const { rssGrowthMb } = await soak(app, 500 * scale, 4);
    expect(rssGrowthMb).toBeLessThan(1000);
    await app.close();
  });
});
