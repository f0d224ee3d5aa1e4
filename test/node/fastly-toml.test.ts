import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EdgeKvError, KVRegistry, KVStore, MemoryDriver, getRegistry, setRegistry } from "edge-kv";
import { FileSystemDriver, fileSystemStores, loadFastlyToml, readFastlyKvStores } from "edge-kv/node";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Writes `files` (name → contents) into a new folder; returns the path of its fastly.toml. */
function project(files: Record<string, string | Uint8Array>): string {
  const folder = tempFolder("edge-kv-toml-");
  for (const [name, contents] of Object.entries(files)) {
    mkdirSync(join(folder, name, ".."), { recursive: true });
    writeFileSync(join(folder, name), contents);
  }
  return join(folder, "fastly.toml");
}

async function entriesOf(toml: string) {
  const stores = await readFastlyKvStores(toml);
  return Object.fromEntries([...stores].map(([name, entries]) => [name, entries.map((e) => ({ ...e, value: text(e.value) }))]));
}

/** The error a config makes readFastlyKvStores reject with (asserted to be an EdgeKvError). */
async function configError(files: Record<string, string>): Promise<{ message: string; toml: string; folder: string }> {
  const toml = project(files);
  const error = await readFastlyKvStores(toml).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EdgeKvError);
  return { message: (error as Error).message, toml, folder: join(toml, "..") };
}

describe("fastly.toml shapes", () => {
  it("reads inline [[local_server.kv_stores.NAME]] entries with data, file and metadata, files relative to the fastly.toml", async () => {
    const toml = project({
      "fastly.toml": `
manifest_version = 3
[local_server]
[[local_server.kv_stores.sessions]]
key = "a"
data = "alpha"
metadata = "m1"
[[local_server.kv_stores.sessions]]
key = "b"
file = "data/b.bin"
`,
      "data/b.bin": new Uint8Array([0, 255, 1]),
    });
    const stores = await readFastlyKvStores(toml);
    expect([...stores.keys()]).toEqual(["sessions"]);
    const [a, b] = stores.get("sessions")!;
    expect({ ...a, value: text(a!.value) }).toEqual({ key: "a", value: "alpha", metadata: "m1" });
    expect(b!.key).toBe("b");
    expect(Array.from(b!.value)).toEqual([0, 255, 1]);
    expect(b!.metadata).toBeUndefined();
  });

  it("reads an empty store written NAME = []", async () => {
    const toml = project({ "fastly.toml": `[local_server.kv_stores]\nempty = []\n` });
    expect(await entriesOf(toml)).toEqual({ empty: [] });
  });

  it("reads a whole-store JSON file mapping keys to strings or to { data | file, metadata }", async () => {
    const toml = project({
      "fastly.toml": `[local_server.kv_stores]\ncatalog = { file = "stores/catalog.json", format = "json" }\n`,
      "stores/catalog.json": JSON.stringify({ plain: "p", rich: { data: "r", metadata: "rm" }, fromFile: { file: "blob.txt" } }),
      "blob.txt": "from a file",
    });
    expect(await entriesOf(toml)).toEqual({
      catalog: [
        { key: "plain", value: "p" },
        { key: "rich", value: "r", metadata: "rm" },
        { key: "fromFile", value: "from a file" },
      ],
    });
  });

  it("accepts the aliases object_stores and object_store for the section", async () => {
    for (const section of ["object_stores", "object_store"]) {
      const toml = project({ "fastly.toml": `[[local_server.${section}.s]]\nkey = "k"\ndata = "v"\n` });
      expect(await entriesOf(toml)).toEqual({ s: [{ key: "k", value: "v" }] });
    }
  });

  it("accepts the legacy entry field `path` for `file`", async () => {
    const toml = project({ "fastly.toml": `[[local_server.kv_stores.s]]\nkey = "k"\npath = "v.txt"\n`, "v.txt": "legacy" });
    expect(await entriesOf(toml)).toEqual({ s: [{ key: "k", value: "legacy" }] });
  });

  it("resolves absolute file paths as they are", async () => {
    const other = tempFolder();
    writeFileSync(join(other, "abs.txt"), "absolute");
    const toml = project({ "fastly.toml": `[[local_server.kv_stores.s]]\nkey = "k"\nfile = ${JSON.stringify(join(other, "abs.txt"))}\n` });
    expect(await entriesOf(toml)).toEqual({ s: [{ key: "k", value: "absolute" }] });
  });

  it("finds no stores in a fastly.toml without [local_server] or without a KV section", async () => {
    expect(await entriesOf(project({ "fastly.toml": `manifest_version = 3\nname = "app"\n` }))).toEqual({});
    expect(await entriesOf(project({ "fastly.toml": `[local_server.backends.origin]\nurl = "http://127.0.0.1"\n` }))).toEqual({});
  });

  it("keeps several stores in file order", async () => {
    const toml = project({ "fastly.toml": `[local_server.kv_stores]\nzeta = []\nalpha = []\n[[local_server.kv_stores.mid]]\nkey = "k"\ndata = ""\n` });
    expect(Object.keys(await entriesOf(toml))).toEqual(["zeta", "alpha", "mid"]);
  });
});

describe("fastly.toml errors (Viceroy's texts, then the file and key or entry)", () => {
  const inline = (body: string) => ({ "fastly.toml": `[[local_server.kv_stores.s]]\n${body}\n` });

  it("names the file and line of a TOML syntax error", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[local_server]\nname = "x"\nbad = = 1\n` });
    expect(message).toBe(`edge-kv: error parsing \`fastly.toml\` at ${toml}:3:7: invalid value`);
  });

  it("names the path of a missing fastly.toml", async () => {
    const missing = join(tempFolder(), "nope", "fastly.toml");
    await expect(readFastlyKvStores(missing)).rejects.toThrow(
      new EdgeKvError(`error reading '${missing}': no such file. Check the path (relative paths resolve against ${process.cwd()}).`),
    );
  });

  it("rejects a key that is missing", async () => {
    const { message, toml } = await configError(inline(`data = "v"`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`key\` key for an object is not set. It must be used. [file ${toml}, entry 1]`);
  });

  it("rejects a key that is not a string", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[[local_server.kv_stores.s]]\nkey = "ok"\ndata = "v"\n[[local_server.kv_stores.s]]\nkey = 5\ndata = "v"\n` });
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`key\` value for an object is not a string. [file ${toml}, entry 2]`);
  });

  it("rejects data that is not a string", async () => {
    const { message, toml } = await configError(inline(`key = "k"\ndata = 1`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`data\` value for the object \`k\` is not a string. [file ${toml}, key 'k']`);
  });

  it("rejects file that is not a string", async () => {
    const { message, toml } = await configError(inline(`key = "k"\nfile = ["x"]`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`file\` value for the object \`k\` is not a string. [file ${toml}, key 'k']`);
  });

  it("rejects metadata that is not a string", async () => {
    const { message, toml } = await configError(inline(`key = "k"\ndata = "v"\nmetadata = true`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`metadata\` value for the object \`k\` is not a string. [file ${toml}, key 'k']`);
  });

  it("rejects an entry with both file and data", async () => {
    const { message, toml } = await configError(inline(`key = "k"\ndata = "v"\nfile = "f"`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`file\` and \`data\` keys for the object \`k\` are set. Only one can be used. [file ${toml}, key 'k']`);
  });

  it("rejects an entry with neither file nor data", async () => {
    const { message, toml } = await configError(inline(`key = "k"`));
    expect(message).toBe(`edge-kv: invalid configuration for 's': The \`file\` or \`data\` key for the object \`k\` is not set. One must be used. [file ${toml}, key 'k']`);
  });

  it("rejects a value file that cannot be read, naming the resolved path", async () => {
    const { message, toml, folder } = await configError(inline(`key = "k"\nfile = "missing.bin"`));
    expect(message).toBe(
      `edge-kv: invalid configuration for 's': cannot read '${join(folder, "missing.bin")}' (the \`file\` of the object \`k\`): no such file. Relative paths resolve against ${folder}. [file ${toml}, key 'k']`,
    );
  });

  it("rejects a store that is neither an array nor a file/format table", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = "oops"\n` });
    expect(message).toBe(`edge-kv: invalid configuration for 's': There is no array of objects for the given store. [file ${toml}]`);
  });

  it("rejects an array item that is not a table", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = ["x"]\n` });
    expect(message).toBe(`edge-kv: invalid configuration for 's': There is an object in the given store that is not a table of keys. [file ${toml}, entry 1]`);
  });

  it("rejects a top-level file without format, and a format without file", async () => {
    for (const table of [`{ file = "x.json" }`, `{ format = "json" }`]) {
      const { message, toml } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = ${table}\n` });
      expect(message).toBe(`edge-kv: invalid configuration for 's': When using a top-level 'file' to load data, both 'file' and 'format' must be set. [file ${toml}]`);
    }
  });

  it("rejects a format other than json", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = { file = "x.yaml", format = "yaml" }\n` });
    expect(message).toBe(`edge-kv: invalid configuration for 's': 'yaml' is not a valid format for the config store. Supported format(s) are: 'json'. [file ${toml}]`);
  });

  it("rejects a store JSON file that cannot be read", async () => {
    const { message, toml, folder } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = { file = "gone.json", format = "json" }\n` });
    expect(message).toBe(
      `edge-kv: invalid configuration for 's': cannot read the store file '${join(folder, "gone.json")}': no such file. Relative paths resolve against ${folder}. [file ${toml}]`,
    );
  });

  it("rejects a store JSON file that is not one JSON object", async () => {
    for (const contents of ["[1, 2]", "{ not json", "\"text\""]) {
      const { message, toml, folder } = await configError({ "fastly.toml": `[local_server.kv_stores]\ns = { file = "s.json", format = "json" }\n`, "s.json": contents });
      expect(message).toBe(
        `edge-kv: invalid configuration for 's': The file is of the wrong format. The file is expected to contain a single JSON Object. [file ${join(folder, "s.json")} (listed in ${toml})]`,
      );
    }
  });

  it("rejects JSON store values that are not strings or well-formed objects", async () => {
    const cases: Array<[unknown, string]> = [
      [42, "The value is expected to be a JSON String."],
      [null, "The value is expected to be a JSON String."],
      [{ data: 1 }, "The value is expected to be a JSON String."],
      [{ data: "v", metadata: {} }, "The value is expected to be a JSON String."],
      [{ data: "v", file: "f" }, "'data' and 'file' are mutually exclusive."],
      [{ metadata: "m" }, "One of 'data' or 'file' must be present."],
    ];
    for (const [value, why] of cases) {
      const { message, toml, folder } = await configError({
        "fastly.toml": `[local_server.kv_stores]\ns = { file = "s.json", format = "json" }\n`,
        "s.json": JSON.stringify({ k: value }),
      });
      expect(message).toBe(
        `edge-kv: invalid configuration for 's': Item value under key named 'k' is of the wrong format. ${why} [file ${join(folder, "s.json")} (listed in ${toml}), key 'k']`,
      );
    }
  });

  it("rejects keys Viceroy rejects, with Viceroy's reason", async () => {
    const cases: Array<[string, string]> = [
      ["", "Keys for objects cannot be empty"],
      ["k".repeat(1025), "Keys for objects cannot be over 1024 bytes in size"],
      [".well-known/acme-challenge", "Keys for objects cannot start with `.well-known/acme-challenge`"],
      ["..", "Keys for objects cannot be named `..`"],
      ["a/../b", "Keys for objects cannot be named `..`"],
      ["a/..", "Keys for objects cannot be named `..`"],
      [".", "Keys for objects cannot be named `.`"],
      ["./a", "Keys for objects cannot be named `.`"],
      ["a#b", "Keys for objects cannot contain a `#`"],
      ["a|b;c", "Keys for objects cannot contain a `;`"],
      [" ", "Keys for objects cannot contain a `\\u{20}`"],
    ];
    for (const [key, reason] of cases) {
      const { message, toml } = await configError(inline(`key = ${JSON.stringify(key)}\ndata = "v"`));
      expect(message).toBe(`edge-kv: invalid configuration for 's': Invalid \`key\` value used: ${reason}. [file ${toml}, key '${key}']`);
    }
  });

  it("rejects a section that is not a table, and two alias sections at once", async () => {
    const notTable = await configError({ "fastly.toml": `[local_server]\nkv_stores = 3\n` });
    expect(notTable.message).toBe(`edge-kv: error parsing \`fastly.toml\` at ${notTable.toml}: [local_server.kv_stores] must be a table of stores, got number 3`);
    const both = await configError({ "fastly.toml": `[local_server.kv_stores]\na = []\n[local_server.object_stores]\nb = []\n` });
    expect(both.message).toBe(
      `edge-kv: error parsing \`fastly.toml\` at ${both.toml}: [local_server] has 'kv_stores' and 'object_stores', which are one section under different names. Keep one of them.`,
    );
  });

  it("rejects a store name the runtime would reject", async () => {
    const { message, toml } = await configError({ "fastly.toml": `[local_server.kv_stores]\n"${"n".repeat(256)}" = []\n` });
    expect(message).toBe(`edge-kv: invalid configuration for '${"n".repeat(256)}': name can not be more than 255 characters. [file ${toml}]`);
  });
});

describe("loadFastlyToml", () => {
  const config = `
[[local_server.kv_stores.sessions]]
key = "user:1"
data = "alice"
metadata = "v2"
[local_server.kv_stores]
empty = []
`;

  it("defines and seeds every store in the active registry and returns their names", async () => {
    const registry = new KVRegistry();
    const previous = setRegistry(registry);
    try {
      expect(await loadFastlyToml(project({ "fastly.toml": config }))).toEqual(["sessions", "empty"]);
      expect(getRegistry().storeNames()).toEqual(["sessions", "empty"]);
      const entry = await new KVStore("sessions").get("user:1");
      expect(await entry!.text()).toBe("alice");
      expect(entry!.metadataText()).toBe("v2");
      expect((await new KVStore("empty").list({})).list).toEqual([]);
      const view = await registry.store("sessions").inspect("user:1");
      expect(view!.expiresAt).toBeNull();
    } finally {
      setRegistry(previous);
    }
  });

  it("loads into a given registry with a given driver per store (filesystem folders)", async () => {
    const registry = new KVRegistry();
    const root = tempFolder();
    await loadFastlyToml(project({ "fastly.toml": config }), { registry, createDriver: fileSystemStores(root) });
    const driver = registry.store("sessions").core.driver;
    expect(driver).toBeInstanceOf(FileSystemDriver);
    expect((driver as FileSystemDriver).directory).toBe(join(root, "sessions"));
    await registry.reset();
    const reopened = new FileSystemDriver({ directory: join(root, "sessions") });
    expect(text((await reopened.read("user:1"))!.value)).toBe("alice");
    await reopened.close();
  });

  it("refuses to redefine an existing store unless replace is set, writing nothing", async () => {
    const registry = new KVRegistry();
    const existing = new MemoryDriver();
    registry.defineStore("empty", { driver: existing });
    const toml = project({ "fastly.toml": config });
    await expect(loadFastlyToml(toml, { registry })).rejects.toThrow(
      new EdgeKvError(`store 'empty' from ${toml} is already defined. Pass { replace: true } to loadFastlyToml, or removeStore('empty') first.`),
    );
    expect(registry.storeNames()).toEqual(["empty"]);
    expect(await loadFastlyToml(toml, { registry, replace: true })).toEqual(["sessions", "empty"]);
    expect(registry.store("empty").core.driver).not.toBe(existing);
  });

  it("checks metadata against the store's limit before defining any store or writing any entry", async () => {
    const registry = new KVRegistry({ maxMetadataBytes: 4 });
    const toml = project({ "fastly.toml": `[local_server.kv_stores]\nfirst = []\n[[local_server.kv_stores.s]]\nkey = "a"\ndata = "1"\n[[local_server.kv_stores.s]]\nkey = "b"\ndata = "2"\nmetadata = "12345"\n` });
    await expect(loadFastlyToml(toml, { registry })).rejects.toThrow(
      new EdgeKvError(`invalid configuration for 's': The \`metadata\` of the object \`b\` is 5 bytes; this store takes at most 4 bytes. Raise the limit with loadFastlyToml(path, { maxMetadataBytes: 5 }) to load it. [file ${toml}, key 'b']`),
    );
    expect(registry.storeNames()).toEqual([]);
  });

  it("defines no store when the file has an error", async () => {
    const registry = new KVRegistry();
    const toml = project({ "fastly.toml": `[local_server.kv_stores]\ngood = []\n[[local_server.kv_stores.bad]]\nkey = "k"\n` });
    await expect(loadFastlyToml(toml, { registry })).rejects.toThrow(EdgeKvError);
    expect(registry.storeNames()).toEqual([]);
  });
});
