import { describe, expect, it } from "vitest";
import { KVStore, KVStoreEntry } from "edge-kv";

describe("property shapes, as the runtime's interface tests assert them", () => {
  it("KVStore: own keys prototype, length, name; length 1; name 'KVStore'; prototype locked", () => {
    expect(Reflect.ownKeys(KVStore)).toEqual(["prototype", "length", "name"]);
    expect(KVStore.length).toBe(1);
    expect(KVStore.name).toBe("KVStore");
    expect(Object.getOwnPropertyDescriptor(KVStore, "prototype")).toMatchObject({ writable: false, enumerable: false, configurable: false });
  });

  it("KVStore.prototype: constructor, delete, get, put, list in that order; methods writable, enumerable, configurable", () => {
    expect(Reflect.ownKeys(KVStore.prototype)).toEqual(["constructor", "delete", "get", "put", "list"]);
    expect(Object.getOwnPropertyDescriptor(KVStore.prototype, "constructor")).toMatchObject({ writable: true, enumerable: false, configurable: true });
    for (const [name, length] of [["delete", 1], ["get", 1], ["put", 1], ["list", 1]] as const) {
      const descriptor = Object.getOwnPropertyDescriptor(KVStore.prototype, name)!;
      expect(descriptor).toMatchObject({ writable: true, enumerable: true, configurable: true });
      expect((descriptor.value as Function).length).toBe(length);
      expect((descriptor.value as Function).name).toBe(name);
    }
  });

  it("KVStore methods are not constructors", () => {
    for (const name of ["delete", "get", "put", "list"] as const) {
      expect(() => new (KVStore.prototype[name] as unknown as new () => unknown)()).toThrow(TypeError);
    }
  });

  it("KVStoreEntry: own keys prototype, length, name; length 0", () => {
    expect(Reflect.ownKeys(KVStoreEntry)).toEqual(["prototype", "length", "name"]);
    expect((KVStoreEntry as unknown as Function).length).toBe(0);
    expect((KVStoreEntry as unknown as Function).name).toBe("KVStoreEntry");
  });

  it("KVStoreEntry.prototype: members in the runtime's order, body/bodyUsed as enumerable getters without setters", () => {
    const proto = KVStoreEntry.prototype;
    expect(Reflect.ownKeys(proto)).toEqual(["constructor", "body", "bodyUsed", "arrayBuffer", "json", "text", "metadata", "metadataText"]);
    for (const name of ["body", "bodyUsed"]) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
      expect(typeof descriptor.get).toBe("function");
      expect(descriptor.set).toBeUndefined();
      expect(descriptor).toMatchObject({ enumerable: true, configurable: true });
    }
    for (const name of ["arrayBuffer", "json", "text", "metadata", "metadataText"]) {
      const descriptor = Object.getOwnPropertyDescriptor(proto, name)!;
      expect(descriptor).toMatchObject({ writable: true, enumerable: true, configurable: true });
      expect((descriptor.value as Function).length).toBe(0);
    }
  });
});
