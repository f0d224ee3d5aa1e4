import { describe, expect, it } from "vitest";
import { KVStore, Messages, resetRegistry } from "edge-kv";
import { expectSyncThrow } from "./helpers.js";

describe("new KVStore(name)", () => {
  it("opens a defined store and is an instance of KVStore", () => {
    resetRegistry().defineStore("sessions");
    const store = new KVStore("sessions");
    expect(store).toBeInstanceOf(KVStore);
  });

  it("throws TypeError 'calling a builtin KVStore constructor without new is forbidden' when called without new", () => {
    resetRegistry().defineStore("sessions");
    expectSyncThrow(() => (KVStore as unknown as (name: string) => unknown)("sessions"), TypeError, "calling a builtin KVStore constructor without new is forbidden");
  });

  it("throws TypeError 'KVStore constructor: At least 1 argument required, but only 0 passed' without arguments", () => {
    expectSyncThrow(() => new (KVStore as unknown as new () => unknown)(), TypeError, "KVStore constructor: At least 1 argument required, but only 0 passed");
  });

  it("rethrows exactly what the name's toString throws", () => {
    const sentinel = { reason: "sentinel" };
    let caught: unknown;
    try {
      new KVStore({ toString() { throw sentinel; } } as unknown as string);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(sentinel);
  });

  it("throws a TypeError for a Symbol name", () => {
    expect(() => new KVStore(Symbol("x") as unknown as string)).toThrow(TypeError);
  });

  it("rejects an empty name with TypeError 'KVStore constructor: name can not be an empty string'", () => {
    expectSyncThrow(() => new KVStore(""), TypeError, "KVStore constructor: name can not be an empty string");
  });

  it("accepts a 255-byte name and rejects 256 bytes with 'name can not be more than 255 characters' (bytes, not characters)", () => {
    const registry = resetRegistry();
    registry.defineStore("a".repeat(255));
    expect(new KVStore("a".repeat(255))).toBeInstanceOf(KVStore);
    expectSyncThrow(() => new KVStore("a".repeat(256)), TypeError, "KVStore constructor: name can not be more than 255 characters");
    // 86 × 'é' is 86 characters but 172 bytes; 128 × 'é' is 256 bytes.
    expectSyncThrow(() => new KVStore("é".repeat(128)), TypeError, "KVStore constructor: name can not be more than 255 characters");
  });

  it("rejects every control character U+0000–U+001F and U+007F with the runtime's literal \\u0000-\\u001F message", () => {
    for (let code = 0; code <= 0x1f; code++) {
      expectSyncThrow(() => new KVStore(`a${String.fromCharCode(code)}b`), TypeError, Messages.storeNameControl);
    }
    expectSyncThrow(() => new KVStore("a\u007fb"), TypeError, Messages.storeNameControl);
    expect(Messages.storeNameControl).toBe("KVStore constructor: name can not contain control characters (\\u0000-\\u001F)");
  });

  it("throws TypeError \"KVStore constructor: No KVStore named 'x' exists\" for an unknown store, with the defined stores in error.cause", () => {
    const registry = resetRegistry();
    registry.defineStore("cache");
    registry.defineStore("flags");
    let caught: unknown;
    try {
      new KVStore("sessions");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(TypeError);
    expect((caught as TypeError).message).toBe("KVStore constructor: No KVStore named 'sessions' exists");
    expect(String((caught as TypeError).cause)).toBe(
      "edge-kv: no store named 'sessions' is defined. Defined stores: cache, flags. Define it with defineStore('sessions'), in fastly.toml [local_server.kv_stores], or in the edgeKv({ stores }) plugin options.",
    );
  });

  it("does not enforce the documented-but-unenforced 'starts with an ASCII letter' rule", () => {
    resetRegistry().defineStore("1-store");
    expect(new KVStore("1-store")).toBeInstanceOf(KVStore);
  });
});
