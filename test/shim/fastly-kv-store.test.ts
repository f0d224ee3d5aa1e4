import { afterEach, describe, expect, it } from "vitest";
import * as shim from "edge-kv/fastly-kv-store";
import * as aliased from "fastly:kv-store";
import { KVStore, KVStoreEntry } from "edge-kv";
import { installGlobals, uninstallGlobals, globalsInstalled } from "edge-kv/globals";

describe("the fastly:kv-store module", () => {
  it("exports exactly KVStore, as the Compute runtime's module does", () => {
    expect(Object.keys(shim)).toEqual(["KVStore"]);
    expect(shim.KVStore).toBe(KVStore);
  });

  it("is what `fastly:kv-store` resolves to in this test suite", () => {
    expect(Object.keys(aliased)).toEqual(["KVStore"]);
    expect(aliased.KVStore).toBe(KVStore);
  });
});

describe("installGlobals", () => {
  const g = globalThis as Record<string, unknown>;
  afterEach(() => uninstallGlobals());

  it("is opt-in: importing edge-kv/globals defines nothing", () => {
    expect("KVStore" in globalThis).toBe(false);
    expect("KVStoreEntry" in globalThis).toBe(false);
  });

  it("defines KVStore and KVStoreEntry on globalThis as writable, configurable, non-enumerable", () => {
    installGlobals();
    expect(g.KVStore).toBe(KVStore);
    expect(g.KVStoreEntry).toBe(KVStoreEntry);
    for (const name of ["KVStore", "KVStoreEntry"]) {
      expect(Object.getOwnPropertyDescriptor(globalThis, name)).toMatchObject({ writable: true, enumerable: false, configurable: true });
    }
    expect(globalsInstalled()).toBe(true);
  });

  it("the returned function removes them again", () => {
    const uninstall = installGlobals();
    uninstall();
    expect("KVStore" in globalThis).toBe(false);
    expect(globalsInstalled()).toBe(false);
  });

  it("uninstalling restores a value that was there before, even after installing twice", () => {
    const target: Record<string, unknown> = { KVStore: "theirs" };
    installGlobals(target);
    installGlobals(target);
    uninstallGlobals(target);
    expect(target).toEqual({ KVStore: "theirs" });
  });
});
