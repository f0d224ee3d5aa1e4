/**
 * fastly:config-store (ConfigStore) and fastly:dictionary (Dictionary) against the runtime's rules
 * (compute-app-host.md §3, js-compute-runtime config-store.cpp / dictionary.cpp): class, exact message,
 * and that every failure is a synchronous throw (both classes are synchronous).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { ConfigStore, Dictionary, resetRegistry, setComputeContextProvider, type KVRegistry } from "edge-kv";
import { ConfigStore as ModuleConfigStore } from "fastly:config-store";
import { Dictionary as ModuleDictionary } from "fastly:dictionary";
import * as configStoreModule from "fastly:config-store";
import * as dictionaryModule from "fastly:dictionary";
import { expectSyncThrow } from "../core/helpers.js";

let registry: KVRegistry;
beforeEach(() => {
  registry = resetRegistry();
  registry.defineConfigStore("animals", { dog: "woof", cat: "meow", ["k".repeat(255)]: "long key", empty: "" });
});

const classes = [
  ["ConfigStore", ConfigStore],
  ["Dictionary", Dictionary],
] as const;

describe("the modules", () => {
  it("export exactly the runtime's names: fastly:config-store → ConfigStore, fastly:dictionary → Dictionary", () => {
    expect(Object.keys(configStoreModule)).toEqual(["ConfigStore"]);
    expect(Object.keys(dictionaryModule)).toEqual(["Dictionary"]);
    expect(ModuleConfigStore).toBe(ConfigStore);
    expect(ModuleDictionary).toBe(Dictionary);
  });
});

describe.each(classes)("%s shape", (name, Class) => {
  it("own keys prototype, length, name; length 1; prototype not writable, enumerable or configurable", () => {
    expect(Reflect.ownKeys(Class)).toEqual(["prototype", "length", "name"]);
    expect(Class.length).toBe(1);
    expect(Class.name).toBe(name);
    expect(Object.getOwnPropertyDescriptor(Class, "prototype")).toEqual({ value: Class.prototype, writable: false, enumerable: false, configurable: false });
    expect(Object.getOwnPropertyDescriptor(Class, "length")).toMatchObject({ writable: false, enumerable: false, configurable: true });
  });

  it("prototype keys constructor, get; get writable, enumerable, configurable, length 1, not a constructor", () => {
    expect(Reflect.ownKeys(Class.prototype)).toEqual(["constructor", "get"]);
    expect(Object.getOwnPropertyDescriptor(Class.prototype, "constructor")).toMatchObject({ writable: true, enumerable: false, configurable: true });
    const get = Object.getOwnPropertyDescriptor(Class.prototype, "get")!;
    expect(get).toMatchObject({ writable: true, enumerable: true, configurable: true });
    expect((get.value as Function).length).toBe(1);
    expect((get.value as Function).name).toBe("get");
    expect(() => new (Class.prototype.get as unknown as new () => unknown)()).toThrow(TypeError);
  });
});

describe.each(classes)("new %s(name): call checks", (name, Class) => {
  it(`without new: TypeError 'calling a builtin ${name} constructor without new is forbidden'`, () => {
    expectSyncThrow(() => (Class as unknown as (n: string) => unknown)("animals"), TypeError, `calling a builtin ${name} constructor without new is forbidden`);
  });

  it(`no argument: TypeError '${name} constructor: At least 1 argument required, but only 0 passed'`, () => {
    expectSyncThrow(() => new (Class as unknown as new () => unknown)(), TypeError, `${name} constructor: At least 1 argument required, but only 0 passed`);
  });

  it(`during initialization (a host evaluating the app's top level): TypeError 'The ${name} builtin can only be used during request handling, not during initialization', before the new check`, () => {
    const restore = setComputeContextProvider(() => ({ phase: "init" }));
    try {
      const message = `The ${name} builtin can only be used during request handling, not during initialization`;
      expectSyncThrow(() => new Class("animals"), TypeError, message);
      expectSyncThrow(() => (Class as unknown as (n: string) => unknown)("animals"), TypeError, message);
    } finally {
      restore();
    }
    expect(new Class("animals").get("dog")).toBe("woof");
  });

  it("opens a defined store: an instance of the class", () => {
    expect(new Class("animals")).toBeInstanceOf(Class);
  });

  it(`unknown store: TypeError "${name} constructor: No ${name} named 'zoo' exists" with a cause naming the defined stores`, () => {
    expectSyncThrow(() => new Class("zoo"), TypeError, `${name} constructor: No ${name} named 'zoo' exists`);
    try {
      new Class("zoo");
    } catch (error) {
      expect(String((error as Error).cause)).toContain("Defined config stores: animals.");
    }
  });
});

describe("name ToString: ConfigStore replaces the failure with its empty-name TypeError, Dictionary rethrows it", () => {
  const sentinel = { reason: "sentinel" };
  const throwing = { toString() { throw sentinel; } } as unknown as string;

  it("ConfigStore: a throwing toString or a Symbol → TypeError 'ConfigStore constructor: name can not be an empty string'", () => {
    expectSyncThrow(() => new ConfigStore(throwing), TypeError, "ConfigStore constructor: name can not be an empty string");
    expectSyncThrow(() => new ConfigStore(Symbol("x") as unknown as string), TypeError, "ConfigStore constructor: name can not be an empty string");
  });

  it("Dictionary: exactly what toString throws", () => {
    let caught: unknown;
    try {
      new Dictionary(throwing);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(sentinel);
    expect(() => new Dictionary(Symbol("x") as unknown as string)).toThrow(TypeError);
  });

  it("names are converted with ToString: new ConfigStore({ toString: () => 'animals' }) opens 'animals'", () => {
    expect(new ConfigStore({ toString: () => "animals" } as unknown as string).get("dog")).toBe("woof");
  });
});

describe("name rules", () => {
  it("'' → ConfigStore: 'must start with an ascii alpabetical character' (its emptiness check never fires); Dictionary: 'name can not be an empty string'", () => {
    expectSyncThrow(() => new ConfigStore(""), TypeError, "ConfigStore constructor: name must start with an ascii alpabetical character");
    expectSyncThrow(() => new Dictionary(""), TypeError, "Dictionary constructor: name can not be an empty string");
  });

  it.each(classes)("%s: more than 255 UTF-8 bytes → 'name can not be more than 255 characters' (bytes: 128 × 'é' fails, 255 × 'a' passes the rule)", (name, Class) => {
    expectSyncThrow(() => new Class("a".repeat(256)), TypeError, `${name} constructor: name can not be more than 255 characters`);
    expectSyncThrow(() => new Class(`a${"é".repeat(128)}`), TypeError, `${name} constructor: name can not be more than 255 characters`);
    expectSyncThrow(() => new Class("a".repeat(255)), TypeError, `${name} constructor: No ${name} named '${"a".repeat(255)}' exists`);
  });

  it.each(classes)("%s: first character not an ASCII letter ('1', '-', ' ', 'Ä', '_') → 'must start with an ascii alpabetical character'", (name, Class) => {
    for (const bad of ["1", "-", " ", "Ä", "_x", "\u0000"]) {
      expectSyncThrow(() => new Class(bad), TypeError, `${name} constructor: name must start with an ascii alpabetical character`);
    }
  });

  it.each(classes)("%s: a later character other than ASCII letters, digits, '_' and ' ' ('aÄ', 'a-b', 'a.b', 'a\\tb') → 'name can contain only ...'", (name, Class) => {
    for (const bad of ["aÄ", "a-b", "a.b", "a\tb", "a\u{1F600}"]) {
      expectSyncThrow(() => new Class(bad), TypeError, `${name} constructor: name can contain only ascii alphanumeric characters, underscores, and ascii whitespace`);
    }
  });

  it.each(classes)("%s: letters, digits, '_' and ' ' after a letter pass the rule", (name, Class) => {
    registry.defineConfigStore("a_B 9", { k: "v" });
    expect(new Class("a_B 9").get("k")).toBe("v");
  });
});

describe.each(classes)("%s.prototype.get(key): call checks (all synchronous)", (name, Class) => {
  it(`wrong receiver: TypeError "Method 'get' called on receiver that's not an instance of ${name}"`, () => {
    expectSyncThrow(() => Class.prototype.get.call({}, "dog"), TypeError, `Method 'get' called on receiver that's not an instance of ${name}`);
    const other = classes.find(([otherName]) => otherName !== name)![1];
    expectSyncThrow(() => Class.prototype.get.call(new other("animals"), "dog"), TypeError, `Method 'get' called on receiver that's not an instance of ${name}`);
  });

  it("no argument: TypeError 'get: At least 1 argument required, but only 0 passed' (receiver checked first)", () => {
    expectSyncThrow(() => (Class.prototype.get as (this: unknown) => unknown).call(undefined), TypeError, `Method 'get' called on receiver that's not an instance of ${name}`);
    const store = new Class("animals");
    expectSyncThrow(() => (store.get as (this: unknown) => unknown).call(store), TypeError, "get: At least 1 argument required, but only 0 passed");
  });
});

describe("get(key): key rules", () => {
  it.each(classes)("%s: '' → TypeError '<class> key can not be an empty string'", (name, Class) => {
    expectSyncThrow(() => new Class("animals").get(""), TypeError, `${name} key can not be an empty string`);
  });

  it.each(classes)("%s: 255 bytes reads, 256 bytes (or 128 × 'é') → '<class> key can not be more than 255 characters'", (name, Class) => {
    expect(new Class("animals").get("k".repeat(255))).toBe("long key");
    expectSyncThrow(() => new Class("animals").get("k".repeat(256)), TypeError, `${name} key can not be more than 255 characters`);
    expectSyncThrow(() => new Class("animals").get("é".repeat(128)), TypeError, `${name} key can not be more than 255 characters`);
  });

  it("a key's ToString failure: ConfigStore → 'ConfigStore key can not be an empty string'; Dictionary → what toString threw", () => {
    const sentinel = new RangeError("sentinel");
    const throwing = { toString() { throw sentinel; } } as unknown as string;
    expectSyncThrow(() => new ConfigStore("animals").get(throwing), TypeError, "ConfigStore key can not be an empty string");
    expect(() => new Dictionary("animals").get(throwing)).toThrow(sentinel);
  });

  it.each(classes)("%s: any characters are allowed in keys; a missing key is null; values are strings (an empty one too)", (_name, Class) => {
    registry.configStore("animals").set("a/b?c#d\n\u0000é", "odd");
    const store = new Class("animals");
    expect(store.get("a/b?c#d\n\u0000é")).toBe("odd");
    expect(store.get("nope")).toBeNull();
    expect(store.get("empty")).toBe("");
    expect(store.get(1 as unknown as string)).toBeNull();
  });
});

describe("both classes read the same stores, live", () => {
  it("a value set after opening is seen by both; Dictionary fails past its 8000-byte buffer with Error 'get: Buffer length error. Buffer is too long.\\n', ConfigStore reads it", () => {
    const config = new ConfigStore("animals");
    const dictionary = new Dictionary("animals");
    registry.configStore("animals").set("bird", "tweet");
    expect(config.get("bird")).toBe("tweet");
    expect(dictionary.get("bird")).toBe("tweet");
    registry.configStore("animals").set("long", "é".repeat(4000)); // 4000 characters, 8000 bytes
    expect(dictionary.get("long")).toBe("é".repeat(4000));
    registry.configStore("animals").set("longer", `${"é".repeat(4000)}x`); // 8001 bytes
    expectSyncThrow(() => dictionary.get("longer"), Error, "get: Buffer length error. Buffer is too long.\n");
    expect(config.get("longer")).toBe(`${"é".repeat(4000)}x`);
  });
});

describe("items travel as UTF-8, as on Compute", () => {
  it("a lone surrogate in a defined key or value reads as U+FFFD (found by test/wasm/fuzz-differential.test.ts)", () => {
    registry.defineConfigStore("odd", { lone: "a\uD800", "k\uDC00": "v", "\uFEFFbom": "\uFEFF" });
    for (const Class of [ConfigStore, Dictionary]) {
      const store = new Class("odd");
      expect(store.get("lone")).toBe("a\uFFFD");
      expect(store.get("k\uFFFD")).toBe("v");
      expect(store.get("k\uDC00")).toBe("v");
      expect(store.get("\uFEFFbom")).toBe("\uFEFF");
      expect(store.get("bom")).toBeNull();
    }
    registry.configStore("odd").set("later\uD800", "\uDBFF!");
    expect(new ConfigStore("odd").get("later\uFFFD")).toBe("\uFFFD!");
    expect(registry.configStore("odd").entries()).toEqual({ lone: "a\uFFFD", "k\uFFFD": "v", "\uFEFFbom": "\uFEFF", "later\uFFFD": "\uFFFD!" });
  });
});
