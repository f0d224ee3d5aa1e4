/**
 * fastly.toml [local_server.config_stores] / [local_server.dictionaries] and [local_server.secret_stores],
 * read as Viceroy reads them (config/dictionaries.rs, config/secret_store.rs): every shape, and each
 * startup error with Viceroy's text followed by where.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigStore, Dictionary, EdgeKvError, KVRegistry, SecretStore, setRegistry } from "edge-kv";
import { loadFastlyToml, readFastlyService } from "edge-kv/node";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

function project(files: Record<string, string | Uint8Array>): string {
  const folder = tempFolder("edge-kv-toml-compute-");
  for (const [name, contents] of Object.entries(files)) {
    mkdirSync(join(folder, name, ".."), { recursive: true });
    writeFileSync(join(folder, name), contents);
  }
  return join(folder, "fastly.toml");
}

/** The message readFastlyService rejects with for this fastly.toml (and files), with the toml path as <toml>. */
async function failure(toml: string, files: Record<string, string> = {}): Promise<string> {
  const path = project({ "fastly.toml": toml, ...files });
  const error = await readFastlyService(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EdgeKvError);
  return (error as Error).message.replaceAll(path, "<toml>").replaceAll(join(path, ".."), "<dir>");
}

describe("config stores: shapes", () => {
  it("inline-toml contents and json files (relative to the fastly.toml), under config_stores or dictionaries", async () => {
    const toml = project({
      "fastly.toml": `
[local_server.config_stores.animals]
format = "inline-toml"
[local_server.config_stores.animals.contents]
dog = "woof"
cat = "meow"

[local_server.config_stores.other]
format = "json"
file = "data/other.json"
`,
      "data/other.json": JSON.stringify({ a: "1", "key with spaces": "ünïcödé" }),
    });
    const service = await readFastlyService(toml);
    expect(Object.fromEntries(service.configStores)).toEqual({ animals: { dog: "woof", cat: "meow" }, other: { a: "1", "key with spaces": "ünïcödé" } });
    const legacy = project({ "fastly.toml": `[local_server.dictionaries.d]\nformat = "inline-toml"\ncontents = { k = "v" }\n` });
    expect(Object.fromEntries((await readFastlyService(legacy)).configStores)).toEqual({ d: { k: "v" } });
  });

  it("loadFastlyToml defines them: ConfigStore and Dictionary read the same store", async () => {
    const toml = project({ "fastly.toml": `[local_server.config_stores.settings]\nformat = "inline-toml"\ncontents = { mode = "dark" }\n` });
    const registry = new KVRegistry();
    const previous = setRegistry(registry);
    try {
      await loadFastlyToml(toml);
      expect(new ConfigStore("settings").get("mode")).toBe("dark");
      expect(new Dictionary("settings").get("mode")).toBe("dark");
      await expect(loadFastlyToml(toml)).rejects.toThrow(`edge-kv: config store 'settings' from ${toml} is already defined. Pass { replace: true } to loadFastlyToml, or removeConfigStore('settings') first.`);
      await loadFastlyToml(toml, { replace: true });
    } finally {
      setRegistry(previous);
    }
  });
});

describe("config stores: Viceroy's startup errors", () => {
  const inline = (body: string) => `[local_server.config_stores.s]\n${body}\n`;
  it.each([
    ["store not a table", "[local_server.config_stores]\ns = 1\n", "definition was not provided as a TOML table"],
    ["format missing", inline('contents = { a = "b" }'), "missing 'format' field"],
    ["format not a string", inline("format = 1"), "'format' field was not a string"],
    ["format empty", inline('format = ""'), "'format' field is empty"],
    ["format unknown", inline('format = "yaml"'), "'yaml' is not a valid format for the dictionary. Supported format(s) are: 'inline-toml', 'json'."],
    ["contents missing", inline('format = "inline-toml"'), "missing 'contents' field"],
    ["contents not a table", inline('format = "inline-toml"\ncontents = "x"'), "'contents' was not provided as a TOML table"],
    ["file missing", inline('format = "json"'), "missing 'file' field"],
    ["file not a string", inline('format = "json"\nfile = 3'), "'file' field was not a string"],
    ["file empty", inline('format = "json"\nfile = ""'), "'file' field is empty"],
    ["an extra key (checked last)", inline('format = "inline-toml"\ncontents = { a = "b" }\nextra = 1'), "unrecognized key 'extra'"],
  ])("%s", async (_case, toml, text) => {
    expect(await failure(toml)).toBe(`edge-kv: invalid configuration for 's': ${text} [file <toml>]`);
  });

  it("an inline value that is not a string names the key", async () => {
    expect(await failure(inline('format = "inline-toml"\ncontents = { n = 1 }'))).toBe("edge-kv: invalid configuration for 's': inline dictionary value was not a string [file <toml>, key 'n']");
  });

  it("json: not an object; a non-string value; an unreadable file", async () => {
    const json = inline('format = "json"\nfile = "c.json"');
    expect(await failure(json, { "c.json": "[1]" })).toBe(
      "edge-kv: invalid configuration for 's': The file is of the wrong format. The file is expected to contain a single JSON Object [file <dir>/c.json (listed in <toml>)]",
    );
    expect(await failure(json, { "c.json": '{"k": 1}' })).toBe(
      "edge-kv: invalid configuration for 's': Item value under key named 'k' is of the wrong format. The value is expected to be a JSON String [file <dir>/c.json (listed in <toml>), key 'k']",
    );
    expect(await failure(json)).toBe("edge-kv: invalid configuration for 's': cannot read '<dir>/c.json': no such file. [file <dir>/c.json (listed in <toml>)]");
  });

  it("keys over 256 characters and values over 8000 characters (counted in characters, not bytes)", async () => {
    const ok = inline(`format = "inline-toml"\ncontents = { "${"é".repeat(256)}" = "${"é".repeat(8000)}" }`);
    expect((await readFastlyService(project({ "fastly.toml": ok }))).configStores.get("s")).toBeDefined();
    expect(await failure(inline(`format = "inline-toml"\ncontents = { "${"k".repeat(257)}" = "v" }`))).toBe(
      `edge-kv: invalid configuration for 's': Item key named '${"k".repeat(257)}' is too long, max size is 256 [file <toml>, key '${"k".repeat(257)}']`,
    );
    expect(await failure(inline(`format = "inline-toml"\ncontents = { k = "${"v".repeat(8001)}" }`))).toBe(
      "edge-kv: invalid configuration for 's': Item value named 'k' is too long, max size is 8000 [file <toml>, key 'k']",
    );
  });

  it("both config_stores and dictionaries: one section under two names", async () => {
    expect(await failure(`[local_server.config_stores]\n[local_server.dictionaries]\n`)).toBe(
      "edge-kv: error parsing `fastly.toml` at <toml>: [local_server] has 'config_stores' and 'dictionaries', which are one section under different names. Keep one of them.",
    );
  });

  it("edge-kv's own check: a store name ConfigStore could never open", async () => {
    expect(await failure(`[local_server.config_stores.my-config]\nformat = "inline-toml"\ncontents = {}\n`)).toBe(
      "edge-kv: invalid configuration for 'my-config': name can contain only ascii alphanumeric characters, underscores, and ascii whitespace, so ConfigStore and Dictionary could never open this store. Rename it. [file <toml>]",
    );
  });
});

describe("secret stores: shapes", () => {
  it("inline arrays with data, file (raw bytes) and env entries; [[array of tables]]; a top-level json file; an empty store", async () => {
    const toml = project({
      "fastly.toml": `
[local_server.secret_stores]
store_one = [ { key = "first", data = "This is also some secret data" },
              { key = "second", file = "raw.bin" },
              { key = "fourth", env = "EDGE_KV_TEST_SECRET" },
              { key = "unset", env = "EDGE_KV_TEST_UNSET" } ]
store_two = { file = "secrets.json", format = "json" }
empty = []

[[local_server.secret_stores.tables]]
key = "t"
data = "table form"
`,
      "raw.bin": new Uint8Array([0, 255, 7]),
      "secrets.json": JSON.stringify({ "json.key": "from json" }),
    });
    const service = await readFastlyService(toml, { environment: { EDGE_KV_TEST_SECRET: "from env" } });
    const text = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));
    const one = service.secretStores.get("store_one")!;
    expect(text(one.first)).toBe("This is also some secret data");
    expect(Array.from(one.second!)).toEqual([0, 255, 7]);
    expect(text(one.fourth)).toBe("from env");
    expect(text(one.unset)).toBe("");
    expect(text(service.secretStores.get("store_two")!["json.key"])).toBe("from json");
    expect(service.secretStores.get("empty")).toEqual({});
    expect(text(service.secretStores.get("tables")!.t)).toBe("table form");
  });

  it("loadFastlyToml defines them for SecretStore", async () => {
    const toml = project({ "fastly.toml": `[local_server.secret_stores]\nvault = [{ key = "token", data = "t0k3n" }]\n` });
    const previous = setRegistry(new KVRegistry());
    try {
      await loadFastlyToml(toml);
      expect((await new SecretStore("vault").get("token"))!.plaintext()).toBe("t0k3n");
    } finally {
      setRegistry(previous);
    }
  });
});

describe("secret stores: Viceroy's startup errors", () => {
  const store = (value: string) => `[local_server.secret_stores]\ns = ${value}\n`;
  it.each([
    ["a bad store name", `[local_server.secret_stores]\n"bad name" = []\n`, "bad name", "Invalid secret store name: bad name", ""],
    ["neither an array nor { file, format }", store('"x"'), "s", "There is no array of objects for the given store. (got a string)", ""],
    ["a table without file and format", store("{}"), "s", "There is no array of objects for the given store.", ""],
    ["only file", store('{ file = "x.json" }'), "s", "When using a top-level 'file' to load data, both 'file' and 'format' must be set.", ""],
    ["only format", store('{ format = "json" }'), "s", "When using a top-level 'file' to load data, both 'file' and 'format' must be set.", ""],
    ["format other than json", store('{ file = "x", format = "toml" }'), "s", "'toml' is not a valid format for the secret store. Supported format(s) are: 'json'.", ""],
    ["an element that is not a table", store("[1]"), "s", "There is an object in the given store that is not a table of keys.", ", entry 1"],
    ["key missing", store('[{ data = "x" }]'), "s", "The `key` key for an object is not set. It must be used.", ", entry 1"],
    ["key not a string", store('[{ key = 1, data = "x" }]'), "s", "The `key` value for an object is not a string.", ", entry 1"],
    ["a bad secret name", store('[{ key = "a b", data = "x" }]'), "s", "Invalid secret name: a b", ", key 'a b'"],
    ["none of file, data, env", store('[{ key = "k" }]'), "s", "None of `file`, `data`, or `env` keys for the object `k` is set. One must be used.", ", key 'k'"],
    ["several of file, data, env", store('[{ key = "k", data = "x", env = "Y" }]'), "s", "More than one of `file`, `data`, or `env` keys for the object `k` are set. Only one can be used.", ", key 'k'"],
    ["data not a string", store('[{ key = "k", data = 1 }]'), "s", "The `data` value for the object `k` is not a string.", ", key 'k'"],
    ["file not a string", store('[{ key = "k", file = 1 }]'), "s", "The `file` value for the object `k` is not a string.", ", key 'k'"],
    ["env not a string", store('[{ key = "k", env = 1 }]'), "s", "The `env` value for the object `k` is not a string.", ", key 'k'"],
  ])("%s", async (_case, toml, name, text, where) => {
    expect(await failure(toml)).toBe(`edge-kv: invalid configuration for '${name}': ${text} [file <toml>${where}]`);
  });

  it("json: not an object of strings; an unreadable secret file", async () => {
    const json = store('{ file = "s.json", format = "json" }');
    expect(await failure(json, { "s.json": '{"k": 1}' })).toBe(
      "edge-kv: invalid configuration for 's': The file is of the wrong format. The file is expected to contain a single JSON object. [file <dir>/s.json (listed in <toml>)]",
    );
    expect(await failure(json, { "s.json": '{"bad key": "v"}' })).toBe("edge-kv: invalid configuration for 's': Invalid secret name: bad key [file <dir>/s.json (listed in <toml>), key 'bad key']");
    expect(await failure(store('[{ key = "k", file = "missing.bin" }]'))).toBe(
      "edge-kv: invalid configuration for 's': cannot read '<dir>/missing.bin' (the `file` of the secret `k`): no such file. Relative paths resolve against <dir>. [file <toml>, key 'k']",
    );
  });
});
