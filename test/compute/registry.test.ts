/**
 * The registry as a Compute environment (PLAN I3): config stores, secret stores and env live in the
 * active registry next to KV stores, resetRegistry()/TestKv.reset() isolate all of them, and the active
 * registry is shared by every copy of edge-kv in the process (test/shim/two-copies.test.ts).
 */
import { describe, expect, it } from "vitest";
import { ConfigStore, Dictionary, env, resetRegistry, SecretStore } from "edge-kv";
import { createTestKv } from "edge-kv/testing";

describe("registry: config stores, secret stores, env", () => {
  it("defineConfigStore / configStore / configStoreNames / removeConfigStore, read by ConfigStore and Dictionary", () => {
    const registry = resetRegistry();
    const admin = registry.defineConfigStore("settings", { mode: "dark" });
    expect(registry.configStore("settings")).toBe(admin);
    expect(registry.configStoreNames()).toEqual(["settings"]);
    admin.set("lang", "fr");
    expect(admin.entries()).toEqual({ mode: "dark", lang: "fr" });
    expect(new ConfigStore("settings").get("lang")).toBe("fr");
    expect(new Dictionary("settings").get("mode")).toBe("dark");
    expect(admin.delete("mode")).toBe(true);
    admin.replace({ only: "this" });
    expect(admin.keys()).toEqual(["only"]);
    expect(registry.removeConfigStore("settings")).toBe(true);
    expect(() => new ConfigStore("settings")).toThrow("ConfigStore constructor: No ConfigStore named 'settings' exists");
  });

  it("config store errors: a name ConfigStore could never open, a duplicate, an unknown store, Viceroy's item limits (nothing changes)", () => {
    const registry = resetRegistry();
    expect(() => registry.defineConfigStore("my-config")).toThrow(
      `edge-kv: cannot define config store "my-config": name can contain only ascii alphanumeric characters, underscores, and ascii whitespace (ConfigStore and Dictionary could never open it)`,
    );
    registry.defineConfigStore("a", { k: "v" });
    expect(() => registry.defineConfigStore("a")).toThrow("edge-kv: config store 'a' is already defined. Pass { replace: true }, or change its items with configStore('a').replace({...})");
    expect(() => registry.configStore("b")).toThrow(
      "edge-kv: config store 'b' is not defined. Defined config stores: a. Define it with registry.defineConfigStore('b', {...}), in fastly.toml [local_server.config_stores], or in the edgeKv({ configStores }) plugin options",
    );
    expect(() => registry.configStore("a").replace({ ok: "1", ["k".repeat(257)]: "v" })).toThrow(`edge-kv: config store 'a': Item key named '${"k".repeat(257)}' is too long, max size is 256`);
    expect(() => registry.configStore("a").set("big", "x".repeat(8001))).toThrow("edge-kv: config store 'a': Item value named 'big' is too long, max size is 8000");
    expect(() => registry.configStore("a").set("n", 1 as unknown as string)).toThrow("edge-kv: config store 'a': the value of 'n' must be a string, got 1");
    expect(registry.configStore("a").entries()).toEqual({ k: "v" });
    registry.configStore("a").set("chars", "é".repeat(8000));
    expect(new ConfigStore("a").get("chars")).toHaveLength(8000);
  });

  it("defineSecretStore / secretStore: strings stored as UTF-8, bytes copied; Viceroy's name rules", async () => {
    const registry = resetRegistry();
    const bytes = new Uint8Array([1, 2, 3]);
    const admin = registry.defineSecretStore("vault", { token: "s3cret", raw: bytes });
    bytes[0] = 9;
    expect(Array.from(admin.get("raw")!)).toEqual([1, 2, 3]);
    expect(admin.text("token")).toBe("s3cret");
    admin.set("bom", "\uFEFFkeep");
    admin.set("broken", new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xff]));
    expect([admin.text("bom"), admin.text("broken")]).toEqual(["\uFEFFkeep", "\uFEFFa\uFFFD"]); // a leading U+FEFF is data
    expect((await new SecretStore("vault").get("token"))!.plaintext()).toBe("s3cret");
    expect(() => registry.defineSecretStore("bad name")).toThrow(
      'edge-kv: cannot define secret store "bad name": Invalid secret store name (name can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace)',
    );
    expect(() => admin.set("bad/key", "x")).toThrow("edge-kv: secret store 'vault': Invalid secret name: bad/key (secret names are 1–255 ASCII letters, digits, '_', '-' or '.')");
    expect(() => admin.set("k", 5 as unknown as string)).toThrow("edge-kv: secret store 'vault': the secret 'k' must be a string or bytes, got 5");
  });

  it("reset() and resetRegistry() forget config stores, secret stores and env values", async () => {
    const registry = resetRegistry();
    registry.defineConfigStore("c", {});
    registry.defineSecretStore("s", {});
    registry.env.set({ X: "1" });
    await registry.reset();
    expect([registry.configStoreNames(), registry.secretStoreNames(), env("X")]).toEqual([[], [], undefined]);
    registry.defineConfigStore("c", {});
    const fresh = resetRegistry();
    expect(fresh.configStoreNames()).toEqual([]);
  });
});

describe("TestKv: seeds config stores, secret stores and env; reset() puts them back", () => {
  it("createTestKv({ configStores, secretStores, env }); changes during a test are undone by reset()", async () => {
    const kv = createTestKv({
      configStores: { settings: { mode: "dark" } },
      secretStores: { vault: { token: "t1" } },
      env: { API_URL: "https://api.test", FASTLY_POP: "LHR" },
    });
    await kv.ready();
    expect(new ConfigStore("settings").get("mode")).toBe("dark");
    expect(env("API_URL")).toBe("https://api.test");
    expect(env("FASTLY_POP")).toBe("LHR");

    kv.configStore("settings").set("mode", "light");
    kv.secretStore("vault").set("token", "t2");
    kv.env.set({ API_URL: "https://other.test" });
    kv.defineConfigStore("later", { a: "1" });
    kv.registry.defineConfigStore("direct", { b: "2" });
    expect(new ConfigStore("settings").get("mode")).toBe("light");
    expect((await new SecretStore("vault").get("token"))!.plaintext()).toBe("t2");

    await kv.reset();
    expect(new ConfigStore("settings").get("mode")).toBe("dark");
    expect((await new SecretStore("vault").get("token"))!.plaintext()).toBe("t1");
    expect(env("API_URL")).toBe("https://api.test");
    expect(new ConfigStore("later").get("a")).toBe("1");
  });

  it("refuses a configStores option that is not an object of objects", () => {
    expect(() => createTestKv({ configStores: [] as never })).toThrow("edge-kv: createTestKv: configStores must be an object mapping store names to { key: value } objects, got an array");
  });
});
