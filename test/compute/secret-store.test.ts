/**
 * fastly:secret-store against the runtime's rules (compute-app-host.md §4, js-compute-runtime
 * secret-store.cpp, its /secret-store/* integration tests): class, exact message, sync vs rejection.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { resetRegistry, SecretStore, SecretStoreEntry, setComputeContextProvider, type KVRegistry } from "edge-kv";
import * as secretStoreModule from "fastly:secret-store";
import { expectRejection, expectSyncThrow } from "../core/helpers.js";

let registry: KVRegistry;
beforeEach(() => {
  registry = resetRegistry();
  registry.defineSecretStore("secrets", { first: "This is also some secret data", ["a".repeat(255)]: "This is some secret data", raw: new Uint8Array([0xff, 0, 1]) });
});

const NAME_CHARACTERS = "SecretStore constructor: name can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace";
const KEY_CHARACTERS = "SecretStore key can contain only ascii alphanumeric characters, underscores, dashes, and ascii whitespace";

describe("the module and shapes (upstream /secret-store/interface, /secret-store-entry/interface)", () => {
  it("fastly:secret-store exports SecretStore and SecretStoreEntry, edge-kv's", () => {
    expect(Object.keys(secretStoreModule).sort()).toEqual(["SecretStore", "SecretStoreEntry"]);
    expect(secretStoreModule.SecretStore).toBe(SecretStore);
    expect(secretStoreModule.SecretStoreEntry).toBe(SecretStoreEntry);
  });

  it("SecretStore: own keys prototype, fromBytes, length, name; length 1; descriptors as the runtime's", () => {
    expect(Reflect.ownKeys(SecretStore)).toEqual(["prototype", "fromBytes", "length", "name"]);
    expect(SecretStore.length).toBe(1);
    expect(SecretStore.name).toBe("SecretStore");
    expect(Object.getOwnPropertyDescriptor(SecretStore, "prototype")).toMatchObject({ writable: false, enumerable: false, configurable: false });
    for (const key of ["length", "name"]) expect(Object.getOwnPropertyDescriptor(SecretStore, key)).toMatchObject({ writable: false, enumerable: false, configurable: true });
    expect(Object.getOwnPropertyDescriptor(SecretStore, "fromBytes")).toMatchObject({ writable: true, enumerable: true, configurable: true });
    expect(SecretStore.fromBytes.length).toBe(1);
    expect(Reflect.ownKeys(SecretStore.prototype)).toEqual(["constructor", "get"]);
    expect(Object.getOwnPropertyDescriptor(SecretStore.prototype, "constructor")).toMatchObject({ writable: true, enumerable: false, configurable: true });
    expect(Object.getOwnPropertyDescriptor(SecretStore.prototype, "get")).toMatchObject({ writable: true, enumerable: true, configurable: true });
    expect(SecretStore.prototype.get.length).toBe(1);
  });

  it("SecretStoreEntry: own keys prototype, length, name; length 0; prototype constructor, plaintext, rawBytes (enumerable, length 0)", () => {
    expect(Reflect.ownKeys(SecretStoreEntry)).toEqual(["prototype", "length", "name"]);
    expect((SecretStoreEntry as unknown as Function).length).toBe(0);
    expect((SecretStoreEntry as unknown as Function).name).toBe("SecretStoreEntry");
    expect(Reflect.ownKeys(SecretStoreEntry.prototype)).toEqual(["constructor", "plaintext", "rawBytes"]);
    for (const key of ["plaintext", "rawBytes"] as const) {
      expect(Object.getOwnPropertyDescriptor(SecretStoreEntry.prototype, key)).toMatchObject({ writable: true, enumerable: true, configurable: true });
      expect(SecretStoreEntry.prototype[key].length).toBe(0);
    }
  });
});

describe("new SecretStore(name): call checks", () => {
  it("without new: TypeError 'calling a builtin SecretStore constructor without new is forbidden'", () => {
    expectSyncThrow(() => (SecretStore as unknown as (n: string) => unknown)("secrets"), TypeError, "calling a builtin SecretStore constructor without new is forbidden");
  });

  it("no argument: TypeError 'SecretStore constructor: At least 1 argument required, but only 0 passed'", () => {
    expectSyncThrow(() => new (SecretStore as unknown as new () => unknown)(), TypeError, "SecretStore constructor: At least 1 argument required, but only 0 passed");
  });

  it("ToString failure: exactly what toString throws (a Symbol: TypeError)", () => {
    const sentinel = { reason: "sentinel" };
    expect(() => new SecretStore({ toString() { throw sentinel; } } as unknown as string)).toThrow(expect.objectContaining({ reason: "sentinel" }));
    expect(() => new SecretStore(Symbol("s") as unknown as string)).toThrow(TypeError);
  });

  it("during initialization: TypeError 'The SecretStore builtin can only be used during request handling, not during initialization'", () => {
    const restore = setComputeContextProvider(() => ({ phase: "init" }));
    try {
      expectSyncThrow(() => new SecretStore("secrets"), TypeError, "The SecretStore builtin can only be used during request handling, not during initialization");
    } finally {
      restore();
    }
  });

  it("opens a defined store (an instance); unknown: TypeError \"SecretStore constructor: No SecretStore named 'missing' exists\"", () => {
    expect(new SecretStore("secrets")).toBeInstanceOf(SecretStore);
    expectSyncThrow(() => new SecretStore("missing"), TypeError, "SecretStore constructor: No SecretStore named 'missing' exists");
  });
});

describe("SecretStore name rules (no first-character rule)", () => {
  it("'' → 'SecretStore constructor: name can not be an empty string'", () => {
    expectSyncThrow(() => new SecretStore(""), TypeError, "SecretStore constructor: name can not be an empty string");
  });

  it("more than 255 bytes → 'SecretStore constructor: name can not be more than 255 characters'; 255 passes the rule", () => {
    expectSyncThrow(() => new SecretStore("a".repeat(256)), TypeError, "SecretStore constructor: name can not be more than 255 characters");
    expectSyncThrow(() => new SecretStore("a".repeat(255)), TypeError, `SecretStore constructor: No SecretStore named '${"a".repeat(255)}' exists`);
  });

  it("every code point outside [A-Za-z0-9_.-] is refused with the runtime's text (which mentions whitespace and omits periods)", () => {
    for (let code = 0; code < 0x180; code++) {
      const character = String.fromCodePoint(code);
      const allowed = /[A-Za-z0-9_.-]/.test(character);
      if (allowed) continue;
      expectSyncThrow(() => new SecretStore(`x${character}`), TypeError, NAME_CHARACTERS);
    }
    expectSyncThrow(() => new SecretStore("\u{1F600}"), TypeError, NAME_CHARACTERS);
    for (const good of ["1", "-", ".", "_", "A.b-c_9"]) {
      expectSyncThrow(() => new SecretStore(good), TypeError, `SecretStore constructor: No SecretStore named '${good}' exists`);
    }
  });
});

describe("SecretStore.prototype.get(key): what throws and what rejects", () => {
  const store = () => new SecretStore("secrets");

  it("throws synchronously: wrong receiver, no argument, a key whose ToString throws", () => {
    expectSyncThrow(() => SecretStore.prototype.get.call({}, "first"), TypeError, "Method 'get' called on receiver that's not an instance of SecretStore");
    const s = store();
    expectSyncThrow(() => (s.get as (this: unknown) => unknown).call(s), TypeError, "get: At least 1 argument required, but only 0 passed");
    expect(() => s.get(Symbol("k") as unknown as string)).toThrow(TypeError);
  });

  it("rejects: '' → 'SecretStore key can not be an empty string'", async () => {
    await expectRejection(() => store().get(""), TypeError, "SecretStore key can not be an empty string");
  });

  it("rejects: 256 bytes → 'SecretStore key can not be more than 255 characters'; 255 resolves an entry", async () => {
    await expectRejection(() => store().get("a".repeat(256)), TypeError, "SecretStore key can not be more than 255 characters");
    expect((await store().get("a".repeat(255)))!.plaintext()).toBe("This is some secret data");
  });

  it("rejects: a character outside [A-Za-z0-9_.-] → the runtime's key text", async () => {
    for (const bad of ["a b", "a/b", "é", "a:b", "a\u0000"]) await expectRejection(() => store().get(bad), TypeError, KEY_CHARACTERS);
  });

  it("resolves a SecretStoreEntry for a secret, null for a missing one (already settled: no store call is pending)", async () => {
    const entry = await store().get("first");
    expect(entry).toBeInstanceOf(SecretStoreEntry);
    expect(entry!.plaintext()).toBe("This is also some secret data");
    expect(await store().get(String(Math.random()).replace("0.", "x"))).toBeNull();
  });
});

describe("SecretStoreEntry", () => {
  it("can't be made directly, with or without new: Error 'SecretStoreEntry can't be instantiated directly'", () => {
    expectSyncThrow(() => new (SecretStoreEntry as unknown as new () => unknown)(), Error, "SecretStoreEntry can't be instantiated directly");
    expectSyncThrow(() => (SecretStoreEntry as unknown as () => unknown)(), Error, "SecretStoreEntry can't be instantiated directly");
  });

  it("rawBytes() is a new Uint8Array every call; plaintext() decodes strictly (invalid UTF-8 is a TypeError)", async () => {
    const entry = (await new SecretStore("secrets").get("raw"))!;
    const a = entry.rawBytes();
    const b = entry.rawBytes();
    expect(a).not.toBe(b);
    expect(Array.from(a)).toEqual([0xff, 0, 1]);
    a[0] = 1;
    expect(Array.from(entry.rawBytes())).toEqual([0xff, 0, 1]);
    expectSyncThrow(() => entry.plaintext(), TypeError, "malformed UTF-8 character sequence at offset 0");
  });

  it("wrong receiver: TypeError \"Method 'plaintext' called on receiver that's not an instance of SecretStoreEntry\"", () => {
    expectSyncThrow(() => SecretStoreEntry.prototype.plaintext.call({}), TypeError, "Method 'plaintext' called on receiver that's not an instance of SecretStoreEntry");
    expectSyncThrow(() => SecretStoreEntry.prototype.rawBytes.call(new SecretStore("secrets")), TypeError, "Method 'rawBytes' called on receiver that's not an instance of SecretStoreEntry");
  });
});

describe("SecretStore.fromBytes(bytes)", () => {
  it("no argument: TypeError 'SecretStore.fromBytes: At least 1 argument required, but only 0 passed'", () => {
    expectSyncThrow(() => (SecretStore.fromBytes as () => unknown)(), TypeError, "SecretStore.fromBytes: At least 1 argument required, but only 0 passed");
  });

  it("not an ArrayBuffer or view ('blah', null, [1], a SharedArrayBuffer): TypeError 'SecretStore.fromBytes: bytes must be an ArrayBuffer or ArrayBufferView object'", () => {
    for (const bad of ["blah", null, [1], 7, new SharedArrayBuffer(2), { byteLength: 1 }]) {
      expectSyncThrow(() => SecretStore.fromBytes(bad as unknown as ArrayBuffer), TypeError, "SecretStore.fromBytes: bytes must be an ArrayBuffer or ArrayBufferView object");
    }
  });

  it("copies the viewed bytes (Uint16Array [4,5,6] → [4,0,5,0,6,0]; an ArrayBuffer → its bytes; a DataView window) into a SecretStoreEntry; works during initialization", () => {
    const restore = setComputeContextProvider(() => ({ phase: "init" }));
    try {
      const entry = SecretStore.fromBytes(new Uint16Array([4, 5, 6]));
      expect(entry).toBeInstanceOf(SecretStoreEntry);
      expect(Array.from(entry.rawBytes())).toEqual([4, 0, 5, 0, 6, 0]);
    } finally {
      restore();
    }
    const source = new Uint8Array([104, 105, 33]);
    const entry = SecretStore.fromBytes(source.buffer);
    source[0] = 0;
    expect(entry.plaintext()).toBe("hi!");
    expect(SecretStore.fromBytes(new DataView(new Uint8Array([1, 2, 3, 4]).buffer, 1, 2)).rawBytes()).toEqual(new Uint8Array([2, 3]));
  });
});
