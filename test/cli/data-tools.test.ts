/**
 * The CLI data tools: export → import round trips (every driver), malformed input (nothing written),
 * get/put/delete/list, and pull/push of 50,000 keys against the REST server with a dropped
 * connection mid-way (the run fails, the next one resumes) and with 429 answers.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, describe, expect, it, vi } from "vitest";
import { FakeClock, IndexedDBDriver, KVRegistry, MemoryDriver, type KVDriver } from "edge-kv";
import { FileSystemDriver, fileSystemStores } from "edge-kv/node";
import { createServer, type FaultAction, type FaultRequest } from "edge-kv/server";
import { exportRecords, recordToLine } from "../../src/cli/records.js";
import { importLocal } from "../../src/cli/import.js";
import { main } from "../../src/cli/main.js";
import { parseDevArgs, startDev, type DevOptions } from "../../src/cli/dev.js";

const CLI = join(import.meta.dirname, "../../src/cli/main.ts");
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "edge-kv-data-tools-"));
  folders.push(folder);
  return folder;
}

type Result = { code: number | null; stdout: string; stderr: string };

/** Runs `edge-kv <args>` in this process (what the bin runs, without a Node start-up per call). */
async function run(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const saved = { FASTLY_API_TOKEN: process.env.FASTLY_API_TOKEN, EDGE_KV_TOKEN: process.env.EDGE_KV_TOKEN };
  Object.assign(process.env, { FASTLY_API_TOKEN: "", EDGE_KV_TOKEN: "", ...env });
  const output = { stdout: "", stderr: "" };
  const capture = (stream: "stdout" | "stderr") =>
    vi.spyOn(process[stream], "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      output[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("latin1");
      const callback = rest.find((arg) => typeof arg === "function") as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof process.stdout.write);
  const spies = [capture("stdout"), capture("stderr")];
  try {
    const code = await main(args);
    return { code, ...output };
  } finally {
    for (const spy of spies) spy.mockRestore();
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

/** Runs the real `edge-kv` command in a child process, to completion. */
function spawnCli(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FASTLY_API_TOKEN: "", EDGE_KV_TOKEN: "", ...env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("latin1")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Entries with every odd shape: binary values, empty values, Unicode keys and metadata, TTLs. */
async function fill(registry: KVRegistry, name: string, driver: KVDriver): Promise<void> {
  const admin = registry.defineStore(name, { driver });
  await admin.put("a/plain", "hello");
  await admin.put("a/binary", new Uint8Array([0, 255, 1, 254, 0x80, 0xc3]));
  await admin.put("a/empty", new Uint8Array(0), { metadata: "m" });
  await admin.put("b/ünïcödé 🗝", "värde", { metadata: '{"v":2,"note":"line\\nbreak 🙂"}', ttl: 3600 });
  await admin.put("c/ttl-short", "soon", { ttl: 1 });
  await admin.put("c/json", '{"a":[1,2,{"b":null}]}', { metadata: "  spaced  ", ttl: 86_400 * 30 });
}

async function exportText(registry: KVRegistry, name: string): Promise<string> {
  let text = "";
  for await (const record of exportRecords(registry.store(name))) text += `${recordToLine(record)}\n`;
  return text;
}

const drivers: Record<string, (name: string) => KVDriver> = {
  memory: () => new MemoryDriver(),
  filesystem: (name) => new FileSystemDriver({ directory: join(tempFolder(), name), storeName: name }),
  indexeddb: (name) => new IndexedDBDriver({ storeName: name, databaseName: `edge-kv-test-${name}-${Math.random()}`, indexedDB: new IDBFactory(), IDBKeyRange }),
};

describe("export → import round trip", () => {
  for (const [from, makeFrom] of Object.entries(drivers)) {
    for (const [to, makeTo] of Object.entries(drivers)) {
      it(`${from} → ${to}: the second export is byte-identical (values, metadata, TTL)`, async () => {
        const registry = new KVRegistry({ clock: new FakeClock(Date.UTC(2026, 1, 1)) });
        await fill(registry, "source", makeFrom("source"));
        const first = await exportText(registry, "source");
        const file = join(tempFolder(), "dump.ndjson");
        writeFileSync(file, first);
        const target = registry.defineStore("target", { driver: makeTo("target") });
        expect(await importLocal(target, file, 2, true)).toBe(6);
        expect(await exportText(registry, "target")).toBe(first);
        const entries = await target.entries();
        expect(entries.map((entry) => [entry.key, [...entry.value], entry.metadataText, entry.expiresAt?.getTime() ?? null])).toEqual(
          (await registry.store("source").entries()).map((entry) => [entry.key, [...entry.value], entry.metadataText, entry.expiresAt?.getTime() ?? null]),
        );
        expect(first.split("\n")[0]).toBe('{"key":"a/binary","value":"AP8B/oDD"}');
        expect(first).toContain('{"key":"c/ttl-short","value":"c29vbg==","time_to_live_sec":1}');
        for (const name of ["source", "target"]) await registry.store(name).core.driver.destroy?.();
      });
    }
  }

  it("through the edge-kv command on a data folder, and a fastly.toml JSON store file too", async () => {
    const data = tempFolder();
    const registry = new KVRegistry({ createDriver: fileSystemStores(data) });
    const admin = registry.defineStore("sessions");
    await admin.put("user/1", "alice", { metadata: "v1" });
    await admin.put("user/2", new Uint8Array([1, 2, 3]));
    await admin.put("other", "x");
    await registry.reset();
    const first = join(data, "first.ndjson");
    const second = join(data, "second.ndjson");
    expect((await spawnCli(["export", "sessions", "--data", data, "--prefix", "user/", "-o", first])).code).toBe(0);
    expect(readFileSync(first, "utf8")).toBe('{"key":"user/1","value":"YWxpY2U=","metadata":"v1"}\n{"key":"user/2","value":"AQID"}\n');
    const imported = await spawnCli(["import", "copy", first, "--data", data]);
    expect(imported).toMatchObject({ code: 0, stderr: "imported 2 records into 'copy'\n" });
    expect((await spawnCli(["export", "copy", "--data", data, "-o", second])).code).toBe(0);
    expect(readFileSync(second)).toEqual(readFileSync(first));

    const json = join(data, "catalog.json");
    writeFileSync(json, JSON.stringify({ "sku-1": "blue shirt", "sku-2": { data: "red shirt", metadata: '{"stock":3}' }, logo: { file: "first.ndjson" } }));
    expect((await run(["import", "catalog", json, "--data", data])).code).toBe(0);
    const list = await run(["list", "catalog", "--data", data]);
    expect(list.stdout).toBe("logo\nsku-1\nsku-2\n");
    const logo = await run(["get", "catalog", "logo", "--data", data]);
    expect(logo.stdout).toBe(readFileSync(first, "utf8"));
    const sku = await run(["get", "catalog", "sku-2", "--data", data, "--info"]);
    expect(sku.stdout).toBe("red shirt");
    expect(JSON.parse(sku.stderr)).toMatchObject({ size: 9, metadata: '{"stock":3}', expiresAt: null });
  });
});

describe("malformed input", () => {
  const cases: [string, string, RegExp][] = [
    ["not JSON", "{oops", /line 3: not valid JSON: "\{oops"/],
    ["bad base64", '{"key":"k","value":"!!"}', /line 3: "value" of key "k" is required and must be base64 text/],
    ["unknown field", '{"key":"k","value":"eA==","add":true}', /line 3: unknown field "add"/],
    ["invalid key", '{"key":"a#b","value":"eA=="}', /line 3: invalid key "a#b"/],
    ["bad TTL", '{"key":"k","value":"eA==","time_to_live_sec":-1}', /line 3: "time_to_live_sec" of key "k" must be a whole number/],
    ["metadata over the store's limit", `{"key":"k","value":"eA==","metadata":"${"m".repeat(1001)}"}`, /line 3: the metadata of key "k" is 1001 bytes; the store takes at most 1000; nothing was imported/],
  ];
  it.each(cases)("%s: exit 1, the line is named, nothing is written", async (_, bad, message) => {
    const data = tempFolder();
    const file = join(data, "in.ndjson");
    writeFileSync(file, ['{"key":"good/1","value":"eA=="}', "", bad, '{"key":"good/2","value":"eA=="}'].join("\n"));
    const result = await run(["import", "store", file, "--data", data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/^edge-kv import: /);
    const list = await run(["list", "store", "--data", data]);
    expect(list).toMatchObject({ code: 1, stdout: "" }); // the store was not even created
  });

  it("a bad usage exits 2 and says how to get help", async () => {
    expect(await run(["import", "only-one-argument", "--data", "x"])).toMatchObject({ code: 2, stderr: expect.stringMatching(/expected STORE FILE.*\nRun 'edge-kv import --help'/s) });
    expect(await run(["pull", "--data", "x"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--store-id <id> is required") });
    expect(await run(["put", "s", "k", "v"])).toMatchObject({ code: 2, stderr: expect.stringContaining("give exactly one of --data <folder> or --url <server url>") });
    expect((await run(["export", "--help"])).stdout).toMatch(/^Usage: edge-kv export STORE/);
  });
});

describe("get, put, delete, list against a running server (--url)", () => {
  it("writes with conditions and reads back what KVStore sees", async () => {
    const registry = new KVRegistry();
    registry.defineStore("s");
    const server = await createServer({ registry });
    try {
      const url = ["--url", server.url];
      expect((await run(["put", "s", "k", "one", ...url, "--metadata", "mé", "--ttl", "60"])).code).toBe(0);
      expect(await run(["put", "s", "k", "two", ...url, "--mode", "add"])).toMatchObject({ code: 1, stderr: expect.stringContaining("nothing written: key 'k' already exists") });
      const generation = (await registry.store("s").inspect("k"))!.generation;
      expect(await run(["put", "s", "k", "!", ...url, "--mode", "append", "--if-generation-match", String(generation)])).toMatchObject({ code: 0 });
      const got = await run(["get", "s", "k", ...url, "--info"]);
      expect(got.stdout).toBe("one!");
      expect(JSON.parse(got.stderr)).toMatchObject({ size: 4, metadata: null });
      expect((await run(["delete", "s", "k", ...url, "--if-generation-match", "1"])).code).toBe(1);
      expect((await run(["list", "s", ...url])).stdout).toBe("k\n");
      expect((await run(["delete", "s", "k", ...url])).code).toBe(0);
      expect((await run(["delete", "s", "k", ...url])).code).toBe(1);
      expect((await run(["delete", "s", "k", ...url, "--force"])).code).toBe(0);
      expect(await registry.store("s").entries()).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe("the data tools against edge-kv dev (--url)", () => {
  it("work at the address dev prints, where the app answers the root and the REST API is under /_edge-kv/api", async () => {
    const root = tempFolder();
    writeFileSync(join(root, "app.js"), 'addEventListener("fetch", (event) => event.respondWith(new Response("The page you requested could not be found", { status: 404 })));\n');
    writeFileSync(join(root, "fastly.toml"), '[local_server.kv_stores]\nsessions = [{ key = "seeded", data = "from fastly.toml" }]\n');
    const dev = await startDev(parseDevArgs(["app.js", "--port", "0"], root) as DevOptions, { log: () => {}, error: () => {} });
    try {
      for (const url of [dev.url, `${dev.url}/`, `${dev.url}/_edge-kv/api`]) {
        expect(await run(["list", "sessions", "--url", url]), url).toMatchObject({ code: 0, stdout: "seeded\n" });
      }
      expect((await run(["put", "sessions", "k", "v", "--url", dev.url, "--metadata", "m"])).code).toBe(0);
      expect(await run(["get", "sessions", "k", "--url", dev.url])).toMatchObject({ code: 0, stdout: "v" });
      const lines = ['{"key":"k","value":"dg==","metadata":"m"}', '{"key":"seeded","value":"ZnJvbSBmYXN0bHkudG9tbA=="}', ""].join("\n");
      for (const url of [dev.url, `${dev.url}/_edge-kv/api`]) {
        expect(await run(["export", "sessions", "--url", url]), url).toMatchObject({ code: 0, stdout: lines });
      }
      const file = join(root, "sessions.ndjson");
      writeFileSync(file, lines);
      expect((await run(["import", "copy", file, "--url", dev.url])).code).toBe(0);
      expect(await dev.registry.store("copy").snapshot()).toEqual({ k: "v", seeded: "from fastly.toml" });
    } finally {
      await dev.close();
    }
  });
});

describe("pull into a fastly.toml JSON store file or a data folder, push from a file", () => {
  it("keeps values (binary ones beside the JSON file), metadata and order; the pulled file imports back", async () => {
    const registry = new KVRegistry();
    const live = registry.defineStore("catalog");
    await live.put("sku/1", "blue shirt", { metadata: '{"stock":3}' });
    await live.put("sku/2", new Uint8Array([0xff, 0, 1]));
    await live.put("10", "numeric-looking key");
    registry.defineStore("empty");
    const server = await createServer({ registry });
    try {
      const stores = (await (await fetch(`${server.url}/resources/stores/kv`)).json()).data as { id: string; name: string }[];
      const id = stores.find((store) => store.name === "catalog")!.id;
      const folder = tempFolder();
      const json = join(folder, "fixtures", "catalog.json");
      const pulled = await run(["pull", "--store-id", id, "--api-url", server.url, "-o", json]);
      expect(pulled).toMatchObject({ code: 0, stderr: expect.stringContaining(`pulled 3 keys from ${id} into ${json}`) });
      expect(readFileSync(json, "utf8")).toBe('{\n  "10": "numeric-looking key",\n  "sku/1": {"data":"blue shirt","metadata":"{\\"stock\\":3}"},\n  "sku/2": {"file":"catalog.files/1.bin"}\n}\n');
      expect([...readFileSync(join(folder, "fixtures", "catalog.files", "1.bin"))]).toEqual([0xff, 0, 1]);
      expect(existsSync(`${json}.partial`)).toBe(false);

      const data = join(folder, "data");
      expect((await run(["import", "catalog", json, "--data", data])).code).toBe(0);
      expect((await run(["pull", "--store-id", id, "--api-url", server.url, "--data", data])).code).toBe(0); // into store 'catalog', after the remote name
      expect((await run(["export", "catalog", "--data", data])).stdout).toBe(
        ['{"key":"10","value":"bnVtZXJpYy1sb29raW5nIGtleQ=="}', '{"key":"sku/1","value":"Ymx1ZSBzaGlydA==","metadata":"{\\"stock\\":3}"}', '{"key":"sku/2","value":"/wAB"}', ""].join("\n"),
      );

      const emptyId = stores.find((store) => store.name === "empty")!.id;
      expect((await run(["push", "--store-id", emptyId, "--api-url", server.url, "--file", json])).code).toBe(0);
      expect(await registry.store("empty").snapshot()).toEqual({ "10": "numeric-looking key", "sku/1": "blue shirt", "sku/2": "\ufffd\u0000\u0001" });
    } finally {
      await server.close();
    }
  });
});

describe("pull and push, 50,000 keys", () => {
  const KEYS = 50_000;
  const keyOf = (i: number) => `k/${String(i).padStart(6, "0")}`;

  it("pull: a connection dropped for good mid-way fails the run; the next run resumes and completes", { timeout: 180_000 }, async () => {
    const registry = new KVRegistry();
    const admin = registry.defineStore("live");
    for (let i = 0; i < KEYS; i++) await admin.put(keyOf(i), `value ${i}`, i % 1000 === 0 ? { metadata: `m${i}` } : {});
    const seen: FaultRequest[] = [];
    let fault: (request: FaultRequest) => FaultAction | undefined = () => undefined;
    const server = await createServer({ registry, faults: (request) => (seen.push(request), fault(request)) });
    const id = (await (await fetch(`${server.url}/resources/stores/kv`)).json()).data[0].id as string;
    const out = join(tempFolder(), "live.ndjson");
    const args = ["pull", "--store-id", id, "--api-url", server.url, "-o", out, "--retries", "2", "--backoff", "1", "--concurrency", "16"];
    try {
      // Every request from the 20,000th on is cut: the third page list is among them.
      fault = (request) => (request.number >= 20_000 ? "cut" : request.number % 5000 === 0 ? { rateLimit: { retryAfterSeconds: 0 } } : undefined);
      const first = await run(args);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/gave up after 2 retries; last: the connection failed/);
      expect(first.stderr).toMatch(/429 Too Many Requests; retrying in 0 ms \(retry 1 of 2\)/);
      expect(existsSync(out)).toBe(false);
      const state = JSON.parse(readFileSync(`${out}.pull-state.json`, "utf8"));
      expect(state.pulled % 1000).toBe(0);
      expect(state.pulled).toBeGreaterThan(0);

      fault = () => undefined;
      const before = seen.length;
      const second = await run(args);
      expect(second.stderr).toContain(`resuming: ${state.pulled} keys were pulled before`);
      expect(second.code).toBe(0);
      const lists = seen.slice(before).filter((request) => /\/keys\?/.test(request.url));
      expect(lists).toHaveLength((KEYS - state.pulled) / 1000);
      expect(lists[0]!.url).toContain(`cursor=${encodeURIComponent(state.cursor)}`);
      const lines = readFileSync(out, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(KEYS);
      expect(lines[0]).toBe(`{"key":"k/000000","value":"${btoa("value 0")}","metadata":"m0"}`);
      expect(lines[KEYS - 1]).toBe(`{"key":"k/049999","value":"${btoa("value 49999")}"}`);
      expect(new Set(lines.map((line) => JSON.parse(line).key)).size).toBe(KEYS);
      expect(existsSync(`${out}.pull-state.json`)).toBe(false);
    } finally {
      await server.close();
    }
  });

  it("push: batches through the batch endpoint, resumes after an interruption without re-sending, retries 429s", { timeout: 180_000 }, async () => {
    const data = tempFolder();
    const local = new KVRegistry({ createDriver: fileSystemStores(data, { durability: "relaxed" }) }); // seeding only
    const admin = local.defineStore("seed");
    for (let i = 0; i < KEYS; i++) await admin.put(keyOf(i), `v${i}`, i % 7 === 0 ? { ttl: 3600, metadata: `meta ${i}` } : {});
    await local.reset();

    const remote = new KVRegistry();
    remote.defineStore("dest");
    const batches: number[] = [];
    let fault: (request: FaultRequest) => FaultAction | undefined = () => undefined;
    const server = await createServer({
      registry: remote,
      faults: (request) => {
        const action = fault(request);
        if (action === undefined && request.url.endsWith("/batch")) batches.push(request.number);
        return action;
      },
    });
    const id = (await (await fetch(`${server.url}/resources/stores/kv`)).json()).data[0].id as string;
    const args = ["push", "seed", "--store-id", id, "--data", data, "--api-url", server.url, "--retries", "2", "--backoff", "1"];
    try {
      let batchRequests = 0;
      fault = (request) => {
        if (!request.url.endsWith("/batch")) return undefined;
        batchRequests++;
        if (batchRequests === 3) return { rateLimit: { retryAfterSeconds: 0 } };
        return batchRequests >= 20 ? "cut" : undefined;
      };
      const first = await run(args);
      expect(first.code).toBe(1);
      expect(first.stderr).toMatch(/429 Too Many Requests; retrying in 0 ms/);
      expect(first.stderr).toMatch(/gave up after 2 retries/);
      expect(batches).toHaveLength(18); // 20 requests, one of them refused with 429 and repeated, then cut
      const pushedFirst = (await remote.store("dest").stats()).keys;
      expect(pushedFirst).toBe(18_000);

      fault = () => undefined;
      const second = await run(args);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain("resuming: 18000 entries were pushed before");
      expect(batches).toHaveLength(50); // no batch was sent twice
      const dest = remote.store("dest");
      expect((await dest.stats()).keys).toBe(KEYS);
      const sample = await dest.inspect(keyOf(49_994));
      expect(sample).toMatchObject({ text: "v49994", metadataText: "meta 49994" });
      expect(sample!.expiresAt!.getTime() - Date.now()).toBeGreaterThan(3500 * 1000);
      expect((await dest.inspect(keyOf(49_999)))!.expiresAt).toBeNull();
      expect(existsSync(join(data, `.edge-kv-push-${id}.json`))).toBe(false);
    } finally {
      await server.close();
    }
  });
});
