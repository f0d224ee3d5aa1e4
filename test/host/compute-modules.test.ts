/**
 * The app host and the other fastly:* modules: initialization vs request time, FASTLY_TRACE_ID per
 * request, the app's env option, the Compute globals.
 */
import { afterEach, expect, it } from "vitest";
import { KVRegistry, getRegistry, resetRegistry } from "edge-kv";
import { uninstallGlobals } from "edge-kv/globals";
import { loadApp } from "edge-kv/host";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

function defineServiceStores(registry: KVRegistry): void {
  registry.defineConfigStore("flags", { banner: "on" });
  registry.defineSecretStore("keys", { api: "s3cr3t" });
  void registry.defineStore("data").put("k", "v");
}

afterEach(() => {
  resetRegistry();
});

it("the app's top level runs as initialization (no runtime-only env, the env option seen); requests see Viceroy's env, FASTLY_TRACE_ID = their request id, and every store", async () => {
  defineServiceStores(getRegistry());
  const app = await loadApp(fixture("compute-app.ts"), { env: { GREETING: "hi" } });
  const first = (await (await app.fetch("/")).json()) as Record<string, unknown>;
  const second = (await (await app.fetch("/")).json()) as Record<string, unknown>;
  expect(first).toEqual({
    atInit: { hostname: null, greeting: "hi", kvStoreGlobal: "function" },
    hostname: "localhost",
    greeting: "hi",
    traceId: "00000000000000000000000000000000",
    requestId: "00000000000000000000000000000000",
    flag: "on",
    secret: "s3cr3t",
    kv: "v",
  });
  expect([second.traceId, second.requestId]).toEqual(["00000000000000000000000000000001", "00000000000000000000000000000001"]);
});

it("an app loaded with its own registry reads its own config, secret and KV stores, also after awaits", async () => {
  const own = new KVRegistry();
  defineServiceStores(own);
  own.configStore("flags").set("banner", "own");
  const app = await loadApp(fixture("compute-app.ts"), { registry: own });
  expect(((await (await app.fetch("/")).json()) as { flag: string }).flag).toBe("own");
});

it("a store constructed at the top level fails the load with the runtime's TypeError", async () => {
  getRegistry().defineStore("data");
  await expect(loadApp(fixture("store-at-init.ts"))).rejects.toThrow(new TypeError("The KVStore builtin can only be used during request handling, not during initialization"));
});

it("installs the Compute globals unless globals: false", async () => {
  uninstallGlobals();
  const noGlobals = () => (globalThis as { addEventListener(type: string, listener: () => void): void }).addEventListener("fetch", () => {});
  await loadApp(noGlobals, { globals: false });
  expect("ConfigStore" in globalThis).toBe(false);
  await loadApp(noGlobals);
  expect(["KVStore", "ConfigStore", "SecretStore", "fastly"].map((name) => typeof (globalThis as Record<string, unknown>)[name])).toEqual(["function", "function", "function", "object"]);
});

it("refuses a bad env option", async () => {
  const noop = () => {};
  await expect(loadApp(noop, { env: [] as never })).rejects.toThrow("edge-kv: loadApp: env must be an object like { API_URL: \"https://...\" }, got an array");
  await expect(loadApp(noop, { env: { PORT: 8080 } as never })).rejects.toThrow("edge-kv: loadApp: env.PORT must be a string (or undefined to hide the variable), got number");
});
