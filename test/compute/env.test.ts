/**
 * fastly:env: the function's shape and argument handling as on Compute (fastly.cpp Env::env_get), the
 * values Viceroy sets (linking.rs make_wasi_ctx), and edge-kv's layers (defaults < host context < set).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { env, fastly, resetRegistry, setComputeContextProvider, VICEROY_ENV, type KVRegistry } from "edge-kv";
import * as envModule from "fastly:env";
import { expectSyncThrow } from "../core/helpers.js";

let registry: KVRegistry;
beforeEach(() => {
  registry = resetRegistry();
});

describe("the function", () => {
  it("fastly:env exports exactly env, which is fastly.env.get: name 'get', length 1, not a constructor", () => {
    expect(Object.keys(envModule)).toEqual(["env"]);
    expect(envModule.env).toBe(env);
    expect(fastly.env.get).toBe(env);
    expect(fastly.env).toBe(fastly.env);
    expect(Object.getOwnPropertyDescriptor(fastly, "env")).toMatchObject({ enumerable: true, configurable: true, set: undefined });
    expect(env.name).toBe("get");
    expect(env.length).toBe(1);
    expect(() => new (env as unknown as new (n: string) => unknown)("X")).toThrow(TypeError);
  });

  it("no argument: TypeError 'fastly.env.get: At least 1 argument required, but only 0 passed'; a Symbol: TypeError (ToString)", () => {
    expectSyncThrow(() => (env as () => unknown)(), TypeError, "fastly.env.get: At least 1 argument required, but only 0 passed");
    expect(() => env(Symbol("x") as unknown as string)).toThrow(TypeError);
  });

  it("an unknown variable is undefined (not ''); names go through ToString", () => {
    expect(env("NOT_SET_ANYWHERE")).toBeUndefined();
    registry.env.set({ "42": "answer" });
    expect(env(42 as unknown as string)).toBe("answer");
  });
});

describe("values", () => {
  it("are Viceroy's by default: FASTLY_HOSTNAME=localhost, FASTLY_POP=XXX, 22-zero ids, version 0, region Somewhere, 32-hex trace id", () => {
    expect(env("FASTLY_HOSTNAME")).toBe("localhost");
    expect(env("FASTLY_POP")).toBe("XXX");
    expect(env("FASTLY_REGION")).toBe("Somewhere");
    expect(env("FASTLY_SERVICE_ID")).toBe("0000000000000000000000");
    expect(env("FASTLY_CUSTOMER_ID")).toBe("0000000000000000000000");
    expect(env("FASTLY_SERVICE_VERSION")).toBe("0");
    expect(env("FASTLY_CACHE_GENERATION")).toBe("0");
    expect(env("FASTLY_IS_STAGING")).toBe("0");
    expect(env("FASTLY_TRACE_ID")).toMatch(/^[0-9a-f]{32}$/);
    expect(registry.env.values()).toEqual(VICEROY_ENV);
  });

  it("are not the process environment (PATH, HOME are undefined)", () => {
    expect(env("PATH")).toBeUndefined();
  });

  it("set() overrides and adds; undefined unsets a default; reset() goes back to the defaults", () => {
    registry.env.set({ FASTLY_POP: "LHR", API_URL: "https://api.example", FASTLY_REGION: undefined });
    expect(env("FASTLY_POP")).toBe("LHR");
    expect(env("API_URL")).toBe("https://api.example");
    expect(env("FASTLY_REGION")).toBeUndefined();
    expect(registry.env.values()).toMatchObject({ FASTLY_POP: "LHR", API_URL: "https://api.example" });
    expect("FASTLY_REGION" in registry.env.values()).toBe(false);
    registry.env.reset();
    expect(env("FASTLY_POP")).toBe("XXX");
    expect(env("API_URL")).toBeUndefined();
  });

  it("set() refuses non-string values and bad names, changing nothing", () => {
    expect(() => registry.env.set({ A: "1", B: 2 as unknown as string })).toThrow("edge-kv: env.set: the value of B must be a string (or undefined to unset it), got 2");
    expect(env("A")).toBeUndefined();
    expect(() => registry.env.set({ "A=B": "1" })).toThrow('edge-kv: env.set: "A=B" is not a variable name (non-empty, no \'=\' or NUL)');
  });

  it("a host's per-request values (FASTLY_TRACE_ID) sit over the defaults and under set()", () => {
    const restore = setComputeContextProvider(() => ({ phase: "request", env: { FASTLY_TRACE_ID: "00000000000000000000000000000007", APP: "from host" } }));
    try {
      expect(env("FASTLY_TRACE_ID")).toBe("00000000000000000000000000000007");
      expect(env("APP")).toBe("from host");
      registry.env.set({ APP: "from test" });
      expect(env("APP")).toBe("from test");
    } finally {
      restore();
    }
    expect(env("FASTLY_TRACE_ID")).toBe("00000000000000000000000000000000");
  });

  it("during initialization the runtime-only FASTLY_* values are undefined (upstream /env test); set() values (build-time, like --env) and the host's are seen", () => {
    registry.env.set({ LOCAL_TEST: "local val" });
    const restore = setComputeContextProvider(() => ({ phase: "init", env: { TEST: "foo" } }));
    try {
      expect(env("FASTLY_HOSTNAME")).toBeUndefined();
      expect(env("LOCAL_TEST")).toBe("local val");
      expect(env("TEST")).toBe("foo");
    } finally {
      restore();
    }
    expect(env("FASTLY_HOSTNAME")).toBe("localhost");
  });

  it("reads names and values as the runtime does: a name ends at its first NUL (a C string), a value's UTF-8 bytes come back one character each (Latin-1)", () => {
    // Found by test/wasm/fuzz-differential.test.ts: Env::env_get looks the UTF-8 name up with getenv
    // and makes the answer with JS_NewStringCopyN, which reads bytes as Latin-1.
    registry.env.set({ API_URL: "https://api.test", "\uFEFFBOM": "bom", ACCENT: "é", EMOJI: "\u{1F600}", LONE: "\uD800" });
    expect(env("API_URL\u0000ignored")).toBe("https://api.test");
    expect(env("\u0000API_URL")).toBeUndefined();
    expect(env("\uFEFFBOM")).toBe("bom");
    expect(env("BOM")).toBeUndefined();
    expect(env("ACCENT")).toBe("\u00C3\u00A9");
    expect(env("EMOJI")).toBe("\u00F0\u009F\u0098\u0080");
    expect(env("LONE")).toBe("\u00EF\u00BF\u00BD");
  });

  it("set() keeps a name with a lone surrogate under its UTF-8 spelling (U+FFFD), where env() finds it; refuses a NUL in a value", () => {
    registry.env.set({ "X\uD800": "1" });
    expect(env("X\uD800")).toBe("1");
    expect(env("X\uFFFD")).toBe("1");
    expect(registry.env.values()).toMatchObject({ "X\uFFFD": "1" });
    expect(() => registry.env.set({ A: "1\u00002" })).toThrow("edge-kv: env.set: the value of A contains a NUL character, which an environment variable cannot hold");
    expect(env("A")).toBeUndefined();
  });

  it("env() reads the active registry: resetRegistry() isolates values", () => {
    registry.env.set({ X: "1" });
    resetRegistry();
    expect(env("X")).toBeUndefined();
  });
});
