/**
 * Two copies of edge-kv in one process (this repo's src and an esbuild bundle of it, as dist and src or
 * two installed versions would be): the active registry is shared through globalThis (Symbol.for), so
 * stores defined through one are visible through the other; a copy speaking another protocol says so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { getRegistry, KVRegistry, KVStore, resetRegistry, setRegistry } from "edge-kv";
import { createTestKv } from "edge-kv/testing";

describe("two copies of edge-kv in one process (src and a bundled copy)", () => {
  const dir = mkdtempSync(join(tmpdir(), "edge-kv-copy-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const loadCopy = async () => {
    const outfile = join(dir, "copy.mjs");
    await build({ entryPoints: [fileURLToPath(new URL("../../src/index.ts", import.meta.url))], bundle: true, format: "esm", platform: "neutral", outfile, logLevel: "silent" });
    return (await import(/* @vite-ignore */ pathToFileURL(outfile).href)) as typeof import("edge-kv");
  };

  it("share the active registry: stores defined through one are opened by the other's classes", async () => {
    const copy = await loadCopy();
    expect(copy.KVStore).not.toBe(KVStore);
    const registry = resetRegistry();
    expect(copy.getRegistry()).toBe(registry);
    registry.defineStore("kv");
    registry.defineConfigStore("cfg", { k: "from src" });
    await new copy.KVStore("kv").put("key", "written by the copy");
    expect(await (await new KVStore("kv").get("key"))!.text()).toBe("written by the copy");
    expect(new copy.ConfigStore("cfg").get("k")).toBe("from src");
    const other = copy.resetRegistry();
    expect(getRegistry()).toBe(other);
    expect(setRegistry(other)).toBe(other);
  });

  it("a store error raised by one copy's core is reported by the other copy's KVStore as on Compute (TypeError 'KVStore insert: Too many requests.')", async () => {
    const copy = await loadCopy();
    const kv = createTestKv({ stores: { s: {} } });
    await kv.ready();
    kv.failNext("s", { operation: "insert" });
    await expect(new copy.KVStore("s").put("k", "v")).rejects.toThrow(new TypeError("KVStore insert: Too many requests."));
    kv.failNext("s", { operation: "lookup", error: "not-found" });
    expect(await new copy.KVStore("s").get("k")).toBeNull();
  });

  it("a copy that speaks another registry protocol fails with an error naming both copies", async () => {
    const copy = await loadCopy();
    const slot = (globalThis as Record<symbol, { protocol: number }>)[Symbol.for("edge-kv.registry.active")]!;
    const protocol = slot.protocol;
    slot.protocol = protocol + 1;
    try {
      expect(() => copy.getRegistry()).toThrow(/^edge-kv: two incompatible copies of edge-kv are loaded in this process: .* \(registry protocol \d+\) and .*copy\.mjs \(protocol \d+\)\. Stores defined through one would be invisible to the other\./);
    } finally {
      slot.protocol = protocol;
    }
    expect(copy.getRegistry()).toBeInstanceOf(KVRegistry);
  });
});
