/**
 * Edge-runtime proof: the core bundle and the example Compute app run inside @edge-runtime/vm's
 * EdgeVM (a V8 context holding only web-standard globals: no process, no require, no Buffer).
 */
import { fileURLToPath } from "node:url";
import { EdgeVM } from "@edge-runtime/vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { bundleApp } from "../../examples/compute-app/bundle.js";

const path = (relative: string) => fileURLToPath(new URL(`../../${relative}`, import.meta.url));

async function iife(entry: string, options: { globalName?: string } = {}): Promise<string> {
  const result = await build({ entryPoints: [path(entry)], bundle: true, format: "iife", platform: "browser", target: "es2022", write: false, logLevel: "silent", ...options });
  return result.outputFiles[0]!.text;
}

describe("inside @edge-runtime/vm (EdgeVM)", () => {
  it("has no Node globals, so the proof is meaningful", () => {
    const vm = new EdgeVM();
    expect(vm.evaluate("[typeof process, typeof require, typeof Buffer].join()")).toBe("undefined,undefined,undefined");
  });

  it("the core bundle (src/index.ts) stores, reads, lists and expires entries with KVStore", async () => {
    const vm = new EdgeVM({ initialCode: await iife("src/index.ts", { globalName: "edgeKv" }) });
    const result = await vm.evaluate(`(async () => {
      const { KVStore, FakeClock, resetRegistry } = edgeKv;
      const clock = new FakeClock();
      resetRegistry({ clock }).defineStore("s");
      const store = new KVStore("s");
      await store.put("b", JSON.stringify({ n: 1 }), { metadata: "m", ttl: 10 });
      await store.put("a", new TextEncoder().encode("bytes"));
      const entry = await store.get("b");
      const out = { json: await entry.json(), metadata: entry.metadataText(), list: (await store.list({})).list };
      let addError = null;
      await store.put("a", "x", { mode: "add" }).catch((error) => { addError = error.constructor.name + ": " + error.message; });
      clock.advance(10000);
      out.expired = await store.get("b");
      out.addError = addError;
      out.page = await store.list({ limit: 1 });
      return JSON.stringify(out);
    })()`);
    expect(JSON.parse(result)).toEqual({
      json: { n: 1 },
      metadata: "m",
      list: ["a", "b"],
      expired: null,
      addError: "TypeError: KVStore insert: Precondition failed.",
      page: { list: ["a"] },
    });
  });

  it("the example Compute app (examples/compute-app/src/index.ts, a fetch-event handler) serves requests on its fastly.toml stores", async () => {
    const vm = new EdgeVM({ initialCode: await bundleApp() });
    const home = await vm.dispatchFetch("https://sho.rt/home", { redirect: "manual" });
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toBe("https://www.fastly.com/");
    const created = await vm.dispatchFetch("https://sho.rt/links", { method: "POST", body: JSON.stringify({ url: "https://example.com/", slug: "edge" }) });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ slug: "edge", url: "https://example.com/", short: "https://sho.rt/edge" });
    const taken = await vm.dispatchFetch("https://sho.rt/links", { method: "POST", body: JSON.stringify({ url: "https://example.org/", slug: "edge" }) });
    expect(taken.status).toBe(409);
    const list = await vm.dispatchFetch("https://sho.rt/links?limit=2");
    expect(await list.json()).toEqual({ links: ["docs", "edge"], cursor: "bGluazplZGdl" });
    await Promise.all([home, created, taken, list].map((response) => response.waitUntil()));
  });
});
