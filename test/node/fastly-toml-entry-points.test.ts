/**
 * One fastly.toml, three entry points — `edge-kv serve`, the Vite/Vitest plugin and
 * `node --import edge-kv/register` — give the same full error for metadata over a store's limit
 * (file, store, key, size, limit, and that entry point's way to raise it), each can raise the limit,
 * each warns about a misspelled section under [local_server], and each loads ./fastly.toml by default.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { EdgeKvError, KVRegistry } from "edge-kv";
import { loadFastlyToml, readFastlyToml } from "edge-kv/node";
import { edgeKv } from "edge-kv/vite";
import { resolveKvConfig } from "../../src/shim/config.js";
import { configureTestKv } from "../../src/testing/current.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
const REGISTER = pathToFileURL(fileURLToPath(new URL("../../src/shim/register.ts", import.meta.url))).href;
// The CLI and register run from source through tsx; the projects are temporary folders, so name tsx by its path.
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;
const folders: string[] = [];
const children = new Set<ChildProcess>();
afterEach(() => {
  for (const child of children) child.kill("SIGTERM");
  children.clear();
});
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), "edge-kv-entry-"));
  folders.push(folder);
  for (const [name, contents] of Object.entries(files)) writeFileSync(join(folder, name), contents);
  return folder;
}

const BIG = "m".repeat(1500);
const BIG_TOML = `manifest_version = 3\n[[local_server.kv_stores.greetings]]\nkey = "hello"\ndata = "hi"\nmetadata = "${BIG}"\n`;
/** The part of the error every entry point shares; each adds its own way to raise the limit. */
const core = (folder: string, raise: string) =>
  `edge-kv: invalid configuration for 'greetings': The \`metadata\` of the object \`hello\` is 1500 bytes; this store takes at most 1000 bytes. Raise the limit with ${raise} to load it. [file ${join(folder, "fastly.toml")}, key 'hello']`;

/** Runs a command to completion (30 s at most). */
function run(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, timeout: 30_000, env: { ...process.env, ...env } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** Starts `edge-kv serve` in `cwd`; resolves once it listens, with its URL and everything printed so far. */
function serve(args: string[], cwd: string): Promise<{ url: string; output: () => string; child: ChildProcess }> {
  const child = spawn(process.execPath, ["--import", TSX, CLI, "serve", "--port", "0", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)\n[\s\S]*Ctrl-C/.exec(output);
      if (match) {
        clearTimeout(timer);
        // Let the rest of the start-up lines arrive.
        setTimeout(() => resolve({ url: match[1]!, output: () => output, child }), 200);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code}: ${output}`));
    });
  });
}

async function storeNames(url: string): Promise<string[]> {
  const { data } = (await (await fetch(`${url}/resources/stores/kv`)).json()) as { data: Array<{ name: string }> };
  return data.map((store) => store.name);
}

const APP = `import { KVStore } from "fastly:kv-store";
const entry = await new KVStore("greetings").get("hello");
console.log(await entry.text(), entry.metadataText().length);
`;

describe("metadata over the store's limit in fastly.toml: the same full error everywhere, and a way to raise the limit", () => {
  it("loadFastlyToml names file, store, key, size and limit, and takes maxMetadataBytes", async () => {
    const folder = project({ "fastly.toml": BIG_TOML });
    const registry = new KVRegistry();
    await expect(loadFastlyToml(join(folder, "fastly.toml"), { registry })).rejects.toThrow(new EdgeKvError(core(folder, "loadFastlyToml(path, { maxMetadataBytes: 1500 })").replace(/^edge-kv: /, "")));
    expect(registry.storeNames()).toEqual([]);
    await loadFastlyToml(join(folder, "fastly.toml"), { registry, maxMetadataBytes: 1500 });
    expect((await registry.store("greetings").inspect("hello"))!.metadataText).toBe(BIG);
  });

  it("edge-kv serve: exits 1 with the full error; --max-metadata-bytes loads it", async () => {
    const folder = project({ "fastly.toml": BIG_TOML });
    const failed = await run(["--import", TSX, CLI, "serve", "--port", "0"], folder);
    expect([failed.code, failed.stderr]).toEqual([1, `${core(folder, "edge-kv serve --max-metadata-bytes 1500")}\n`]);
    const { url } = await serve(["--max-metadata-bytes", "1500"], folder);
    const { data } = (await (await fetch(`${url}/resources/stores/kv?name=greetings`)).json()) as { data: Array<{ id: string }> };
    const item = await fetch(`${url}/resources/stores/kv/${data[0]!.id}/keys/hello`);
    expect(item.headers.get("metadata")).toBe(BIG);
  }, 60_000);

  it("the Vitest plugin: fails with the full error; edgeKv({ maxMetadataBytes }) loads and seeds it", async () => {
    const folder = project({ "fastly.toml": BIG_TOML });
    await expect(resolveKvConfig({}, folder, "edgeKv")).rejects.toThrow(new EdgeKvError(core(folder, "edgeKv({ maxMetadataBytes: 1500 })").replace(/^edge-kv: /, "")));
    const plugin = edgeKv({ maxMetadataBytes: 1500 });
    (plugin.configResolved as (config: { root: string }) => void)({ root: folder });
    expect(await (plugin.load as (id: string) => Promise<string>).call({}, "\0edge-kv:config")).toContain('"maxMetadataBytes":1500');
    const kv = await configureTestKv(await resolveKvConfig({ maxMetadataBytes: 1500 }, folder, "edgeKv")).reset();
    expect((await kv.entry("greetings", "hello"))!.metadataText).toBe(BIG);
  });

  it("node --import edge-kv/register: fails with the full error; EDGE_KV_MAX_METADATA_BYTES loads it", async () => {
    const folder = project({ "fastly.toml": BIG_TOML, "app.mjs": APP });
    const failed = await run(["--import", TSX, "--import", REGISTER, "app.mjs"], folder);
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(core(folder, "EDGE_KV_MAX_METADATA_BYTES=1500"));
    const raised = await run(["--import", TSX, "--import", REGISTER, "app.mjs"], folder, { EDGE_KV_MAX_METADATA_BYTES: "1500" });
    expect([raised.code, raised.stdout, raised.stderr]).toEqual([0, "hi 1500\n", ""]);
    const bad = await run(["--import", TSX, "--import", REGISTER, "app.mjs"], folder, { EDGE_KV_MAX_METADATA_BYTES: "lots" });
    expect(bad.stderr).toContain("EDGE_KV_MAX_METADATA_BYTES must be a whole number of bytes from 0 to 69000, got 'lots'");
  }, 60_000);
});

const MISSPELLED = `[local_server]
[local_server.backends.origin]
url = "http://127.0.0.1:1"
[[local_server.kv_store.greetings]]
key = "hello"
data = "hi"
[local_server.kvstores]
other = []
`;
const warningFor = (folder: string) => [
  `edge-kv: ${join(folder, "fastly.toml")}:4: unknown key 'kv_store' under [local_server] is ignored; did you mean 'kv_stores'?`,
  `edge-kv: ${join(folder, "fastly.toml")}:7: unknown key 'kvstores' under [local_server] is ignored; did you mean 'kv_stores'?`,
];

describe("unknown keys under [local_server]: a warning naming the nearest valid key", () => {
  it("readFastlyToml reports them, and not the sections Viceroy reads that edge-kv does not use", async () => {
    const folder = project({ "fastly.toml": MISSPELLED });
    const toml = await readFastlyToml(join(folder, "fastly.toml"));
    expect(toml.warnings).toEqual(warningFor(folder));
    expect(toml.ignoredSections).toEqual(["backends"]);
    expect([...toml.kvStores.keys()]).toEqual([]);
  });

  it("config_stores (or dictionaries) and secret_stores are read, neither warned about nor listed as unused", async () => {
    for (const section of ["config_stores", "dictionaries"]) {
      const folder = project({
        "fastly.toml": `[local_server.${section}.settings]\nformat = "inline-toml"\ncontents = { mode = "dark" }\n[local_server.secret_stores]\nvault = [{ key = "token", data = "t" }]\n[local_server.acls]\n`,
      });
      const toml = await readFastlyToml(join(folder, "fastly.toml"));
      expect([toml.warnings, toml.ignoredSections]).toEqual([[], ["acls"]]);
      expect(Object.fromEntries(toml.configStores)).toEqual({ settings: { mode: "dark" } });
      expect(Object.fromEntries(toml.secretStores)).toEqual({ vault: { token: new TextEncoder().encode("t") } });
    }
  });

  it.each([
    ["kv_store", "kv_stores"],
    ["KV_Stores", "kv_stores"],
    ["secret_store", "secret_stores"],
    ["config_store", "config_stores"],
    ["dictionary", "dictionaries"],
    ["backend", "backends"],
    ["geo", "geolocation"],
  ])("'%s' → did you mean '%s'", async (wrong, right) => {
    const folder = project({ "fastly.toml": `[local_server.${wrong}]\n` });
    expect((await readFastlyToml(join(folder, "fastly.toml"))).warnings).toEqual([
      `edge-kv: ${join(folder, "fastly.toml")}:1: unknown key '${wrong}' under [local_server] is ignored; did you mean '${right}'?`,
    ]);
  });

  it("edge-kv serve, the plugin and register print the warning", async () => {
    const folder = project({ "fastly.toml": MISSPELLED, "app.mjs": `import "fastly:kv-store";\n` });
    const { output } = await serve([], folder);
    for (const line of warningFor(folder)) expect(output()).toContain(line);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      await resolveKvConfig({}, folder, "edgeKv");
      expect(warn.mock.calls.map((call) => call[0])).toEqual(warningFor(folder));
    } finally {
      warn.mockRestore();
    }
    const registered = await run(["--import", TSX, "--import", REGISTER, "app.mjs"], folder);
    expect([registered.code, registered.stderr]).toEqual([0, warningFor(folder).join("\n") + "\n"]);
  }, 60_000);
});

describe("edge-kv serve in a folder with a fastly.toml", () => {
  const TOML = [
    '[[local_server.kv_stores.greetings]]\nkey = "hello"\ndata = "hi"',
    '[local_server.config_stores.settings]\nformat = "inline-toml"\ncontents = { mode = "dark" }',
    '[local_server.secret_stores]\nvault = [{ key = "token", data = "t" }]',
    '[local_server.geolocation]\nformat = "inline-toml"\naddresses = {}\n',
    "[local_server.acls]\n",
  ].join("\n");

  it("loads ./fastly.toml by default, like register and the plugin, and says at start-up which stores came from where", async () => {
    const folder = project({ "fastly.toml": TOML });
    const { url, output } = await serve(["--store", "extra"], folder);
    expect(await storeNames(url)).toEqual(["extra", "greetings"]);
    const lines = output().split("\n");
    expect(lines[0]).toMatch(/^edge-kv REST server listening on http:\/\/127\.0\.0\.1:\d+$/);
    expect(lines).toContain(`  stores from ${join(folder, "fastly.toml")}: greetings`);
    expect(lines).toContain(`  config stores from ${join(folder, "fastly.toml")}: settings`);
    expect(lines).toContain(`  secret stores from ${join(folder, "fastly.toml")}: vault`);
    expect(lines).toContain("  stores from --store: extra");
    expect(lines).toContain("  fastly.toml sections edge-kv does not use: acls");
  }, 60_000);

  it("--no-fastly-toml skips it; without a fastly.toml it says none was found", async () => {
    const folder = project({ "fastly.toml": TOML });
    const skipped = await serve(["--no-fastly-toml"], folder);
    expect(await storeNames(skipped.url)).toEqual([]);
    expect(skipped.output()).toContain("  fastly.toml not loaded (--no-fastly-toml)");
    const empty = project({});
    const none = await serve([], empty);
    expect(none.output()).toContain(`  no fastly.toml in ${empty} (--fastly-toml <file> loads one)`);
    const both = await run(["--import", TSX, CLI, "serve", "--no-fastly-toml", "--fastly-toml", "x.toml"], folder);
    expect([both.code, both.stderr]).toEqual([2, "edge-kv: serve: --fastly-toml and --no-fastly-toml exclude each other; pick one\n"]);
  }, 60_000);
});
