/**
 * No injection or escape: keys and store names shaped like prototype members, path traversal,
 * percent-encoded traversal, NUL bytes and very long names stay plain data. They cannot reach outside
 * the store folder, pollute Object.prototype (including through a fastly.toml JSON store file), or
 * smuggle a header into a REST response.
 */
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { FakeClock, IndexedDBDriver, KVRegistry, KVStore, MemoryDriver, resetRegistry, setRegistry, getRegistry, type KVDriver } from "edge-kv";
import { fileSystemStores, FileSystemDriver, loadFastlyToml, storeFolderName } from "edge-kv/node";
import { createServer } from "edge-kv/server";
import { snapshotFolder, temporaryRoot } from "./fs-support.js";
import { observe } from "./support.js";

const { root, remove } = temporaryRoot("injection");
afterAll(remove);
const original = getRegistry();
afterEach(() => void setRegistry(original));

const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "hasOwnProperty", "toString", "valueOf", "__defineGetter__", "isPrototypeOf"];
const TRAVERSAL_KEYS = ["../x", "../../etc/passwd", "%2e%2e/x", "%2e%2e%2fx", "..\\x", "a/../../b", "/abs", "C:\\x", "a\u0000b", "\u0000", "~", ".hidden", "con", "nul.txt"];
const LONG_KEYS = ["k".repeat(1024), "\u{1F600}".repeat(256), "é".repeat(512)];

/** What Object.prototype holds, to show nothing was added or replaced. */
function prototypeFingerprint(): string {
  return Object.getOwnPropertyNames(Object.prototype)
    .sort()
    .map((name) => `${name}:${typeof Object.getOwnPropertyDescriptor(Object.prototype, name)!.value}`)
    .join(",");
}
const PRISTINE = prototypeFingerprint();

let idbCount = 0;
const indexedDB = new IDBFactory();
let fsCount = 0;
const DRIVERS: [string, () => KVDriver][] = [
  ["memory", () => new MemoryDriver()],
  ["indexeddb", () => new IndexedDBDriver({ storeName: "injection", databaseName: `injection-${++idbCount}`, indexedDB, IDBKeyRange })],
  ["fs", () => new FileSystemDriver({ directory: join(root, `keys-${++fsCount}`), durability: "relaxed" })],
];

describe.each(DRIVERS)("hostile keys are plain keys (%s driver)", (_name, makeDriver) => {
  it("stores, reads, lists and deletes keys named like Object.prototype members, traversal paths, NUL bytes and 1024-byte keys, each separately", async () => {
    const registry = resetRegistry({ clock: new FakeClock() });
    const driver = makeDriver();
    const admin = registry.defineStore("hostile", { driver });
    const store = new KVStore("hostile");
    const keys = [...PROTOTYPE_KEYS, ...TRAVERSAL_KEYS, ...LONG_KEYS];
    for (const [i, key] of keys.entries()) await store.put(key, `value ${i}`, { metadata: `m${i}` });
    for (const [i, key] of keys.entries()) {
      const entry = await store.get(key);
      expect(await entry?.text(), key).toBe(`value ${i}`);
      expect(entry?.metadataText()).toBe(`m${i}`);
    }
    expect((await store.list({})).list.sort()).toEqual([...keys].sort());
    // Read-back helpers return own properties, not prototype lookups.
    const snapshot = await admin.snapshot();
    expect(Object.getPrototypeOf(snapshot)).toBeNull();
    for (const [i, key] of keys.entries()) expect(Object.getOwnPropertyDescriptor(snapshot, key)?.value).toBe(`value ${i}`);
    expect(Object.keys(snapshot)).toHaveLength(keys.length);
    // A key that was never written is absent even when Object.prototype has a member of that name.
    expect(await store.get("__lookupGetter__")).toBeNull();
    expect(await observe(() => store.delete("propertyIsEnumerable"))).toEqual({ ok: false, error: "TypeError", message: "KVStore delete: Not found.", sync: false });
    for (const key of keys) await store.delete(key);
    expect((await store.list({})).list).toEqual([]);
    expect(prototypeFingerprint()).toBe(PRISTINE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await registry.removeStore("hostile");
  });
});

describe("the filesystem driver keeps every key inside its log", () => {
  it("writes no file named after a key: the store folder holds only its marker, log segment and lock, whatever the keys", async () => {
    const directory = join(root, "log-only");
    const registry = resetRegistry();
    registry.defineStore("log-only", { driver: new FileSystemDriver({ directory, durability: "relaxed" }) });
    const store = new KVStore("log-only");
    for (const key of [...PROTOTYPE_KEYS, ...TRAVERSAL_KEYS, ...LONG_KEYS]) await store.put(key, "x");
    // The driver's own entries only (docs: marker, log segments, and the lock's staging folder).
    for (const name of readdirSync(directory)) expect(name).toMatch(/^(edge-kv-store\.json|data-\d{16}\.log|lock|\.lock-\d+-[0-9a-f]+)$/);
    expect(readdirSync(directory)).toContain("data-0000000000000001.log");
    expect(readdirSync(root)).not.toContain("x");
    expect(readdirSync(join(root, ".."))).not.toContain("x");
    await registry.reset();
  });
});

describe("store names cannot escape the root folder or collide", () => {
  const HOSTILE_NAMES = ["__proto__", "constructor", "prototype", "../x", "../../escape", "%2e%2e/x", "%2E%2E%2Fx", "..", ".", "a/b", "a\\b", "/abs", "C:", "CON", "nul", "Key", "key", "KEY", "é".repeat(127) + "a"];

  it("gives each name its own folder directly under the root, and each store reads back only its own data", async () => {
    const storesRoot = join(root, "names");
    mkdirSync(storesRoot);
    const outsideBefore = snapshotFolder(root).split("\n").filter((line) => !line.startsWith("names/")).join("\n");
    const registry = new KVRegistry({ createDriver: fileSystemStores(storesRoot, { durability: "relaxed" }) });
    setRegistry(registry);
    for (const name of HOSTILE_NAMES) await new KVStore((registry.defineStore(name), name)).put("owner", name);
    const folders = readdirSync(storesRoot).sort();
    expect(folders).toEqual(HOSTILE_NAMES.map(storeFolderName).sort());
    expect(new Set(folders).size).toBe(HOSTILE_NAMES.length); // Key/key/KEY differ even on case-insensitive disks
    for (const folder of folders) {
      expect(folder).toMatch(/^[a-z0-9_~-]+$/);
      expect(folder.length).toBeLessThanOrEqual(255);
    }
    // Reopened from disk, every store holds exactly its own record.
    await registry.reset();
    const reopened = new KVRegistry({ createDriver: fileSystemStores(storesRoot, { durability: "relaxed" }) });
    setRegistry(reopened);
    for (const name of HOSTILE_NAMES) {
      reopened.defineStore(name);
      expect(await reopened.store(name).snapshot()).toEqual(Object.assign(Object.create(null), { owner: name }));
    }
    await reopened.reset();
    const outsideAfter = snapshotFolder(root).split("\n").filter((line) => !line.startsWith("names/")).join("\n");
    expect(outsideAfter).toBe(outsideBefore);
    expect(prototypeFingerprint()).toBe(PRISTINE);
  });

  it("refuses names with NUL or other control characters and names over 255 bytes, before creating anything", async () => {
    const storesRoot = join(root, "refused");
    mkdirSync(storesRoot);
    const registry = new KVRegistry({ createDriver: fileSystemStores(storesRoot) });
    const cases: [string, string][] = [
      ["a\u0000b", 'edge-kv: cannot define store "a\\u0000b": name can not contain control characters (\\u0000-\\u001F)'],
      ["\u0000", 'edge-kv: cannot define store "\\u0000": name can not contain control characters (\\u0000-\\u001F)'],
      ["x\ny", 'edge-kv: cannot define store "x\\ny": name can not contain control characters (\\u0000-\\u001F)'],
      ["é".repeat(128), `edge-kv: cannot define store "${"é".repeat(128)}": name can not be more than 255 characters`],
      ["", 'edge-kv: cannot define store "": name can not be an empty string'],
    ];
    for (const [name, message] of cases) {
      expect(await observe(() => registry.defineStore(name))).toEqual({ ok: false, error: "EdgeKvError", message, sync: true });
    }
    expect(readdirSync(storesRoot)).toEqual([]);
  });

  it("does not resolve new KVStore('__proto__') or new KVStore('constructor') to anything when no such store is defined", () => {
    setRegistry(new KVRegistry());
    for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(() => new KVStore(name)).toThrow(new TypeError(`KVStore constructor: No KVStore named '${name}' exists`));
    }
  });
});

describe("fastly.toml stores and JSON store files named like prototype members", () => {
  it("loads stores and keys named __proto__ and constructor as plain names, and ignores an inherited 'data'", async () => {
    const folder = join(root, "toml");
    mkdirSync(folder);
    writeFileSync(join(folder, "store.json"), '{"__proto__": "p", "constructor": {"data": "c", "metadata": "m"}, "toString": {"data": "t"}, "polluted": "no"}');
    writeFileSync(
      join(folder, "fastly.toml"),
      [
        "[local_server.kv_stores]",
        '__proto__ = { file = "store.json", format = "json" }',
        "constructor = []",
        "[[local_server.kv_stores.prototype]]",
        'key = "__proto__"',
        'data = "inline"',
      ].join("\n"),
    );
    const registry = new KVRegistry();
    expect(await loadFastlyToml(join(folder, "fastly.toml"), { registry })).toEqual(["__proto__", "constructor", "prototype"]);
    expect(registry.storeNames()).toEqual(["__proto__", "constructor", "prototype"]);
    expect(await registry.store("__proto__").snapshot()).toEqual(Object.fromEntries([["__proto__", "p"], ["constructor", "c"], ["toString", "t"], ["polluted", "no"]]));
    expect((await registry.store("__proto__").inspect("constructor"))?.metadataText).toBe("m");
    expect(await registry.store("constructor").snapshot()).toEqual(Object.create(null));
    expect((await registry.store("prototype").inspect("__proto__"))?.text).toBe("inline");
    expect(prototypeFingerprint()).toBe(PRISTINE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // An entry whose only 'data' would come from its prototype has no data.
    writeFileSync(join(folder, "inherited.json"), '{"k": {"__proto__": {"data": "x"}}}');
    writeFileSync(join(folder, "inherited.toml"), '[local_server.kv_stores]\nsneaky = { file = "inherited.json", format = "json" }\n');
    const other = new KVRegistry();
    expect(await observe(() => loadFastlyToml(join(folder, "inherited.toml"), { registry: other }))).toEqual({
      ok: false,
      error: "EdgeKvError",
      message: `edge-kv: invalid configuration for 'sneaky': Item value under key named 'k' is of the wrong format. One of 'data' or 'file' must be present. [file ${join(folder, "inherited.json")} (listed in ${join(folder, "inherited.toml")}), key 'k']`,
      sync: false,
    });
    expect(other.storeNames()).toEqual([]);
  });
});

describe("no header injection through the REST server", () => {
  it("never writes CR/LF from stored metadata into a response header: such metadata is sent base64-encoded and says so", async () => {
    const registry = new KVRegistry();
    registry.defineStore("headers");
    setRegistry(registry);
    const server = await createServer({ registry });
    try {
      const stores = (await (await fetch(`${server.url}/resources/stores/kv`)).json()) as { data: { id: string; name: string }[] };
      const id = stores.data.find((store) => store.name === "headers")!.id;
      const hostile = "v1\r\nSet-Cookie: session=stolen\r\n\r\n<script>";
      await new KVStore("headers").put("k", "value", { metadata: hostile });
      const response = await fetch(`${server.url}/resources/stores/kv/${id}/keys/k`);
      expect(response.status).toBe(200);
      expect(response.headers.get("set-cookie")).toBeNull();
      expect(response.headers.get("metadata-encoding")).toBe("base64");
      expect(Buffer.from(response.headers.get("metadata")!, "base64").toString("utf8")).toBe(hostile);
      for (const [, value] of response.headers) expect(value).not.toMatch(/[\r\n]/);
      expect(await response.text()).toBe("value");

      // The same metadata arriving through a REST batch line comes back out the same way.
      const batch = await fetch(`${server.url}/resources/stores/kv/${id}/batch`, { method: "PUT", body: JSON.stringify({ key: "b", value: "dg==", metadata: hostile }) });
      expect(batch.status).toBe(200);
      const viaBatch = await fetch(`${server.url}/resources/stores/kv/${id}/keys/b`);
      expect(viaBatch.headers.get("set-cookie")).toBeNull();
      expect(viaBatch.headers.get("metadata-encoding")).toBe("base64");
      expect(Buffer.from(viaBatch.headers.get("metadata")!, "base64").toString("utf8")).toBe(hostile);
      await registry.store("headers").delete("b");

      // Keys and store names with CR/LF are refused before anything is stored.
      const put = await fetch(`${server.url}/resources/stores/kv/${id}/keys/a%0D%0ASet-Cookie:%20x`, { method: "PUT", body: "v" });
      expect(put.status).toBe(400);
      expect(put.headers.get("set-cookie")).toBeNull();
      const created = await fetch(`${server.url}/resources/stores/kv`, { method: "POST", body: JSON.stringify({ name: "s\r\nSet-Cookie: x" }), headers: { "content-type": "application/json" } });
      expect(created.status).toBe(400);
      expect(registry.storeNames()).toEqual(["headers"]);
      expect(await registry.store("headers").snapshot()).toEqual(Object.assign(Object.create(null), { k: "value" }));
    } finally {
      await server.close();
    }
  });
});
