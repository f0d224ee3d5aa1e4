/**
 * Cross-surface round trips, continued (./pool.ts): every driver keeps adversarial keys, values and
 * metadata byte for byte across a reopen, in key order; `edge-kv export` → `import`, and `pull` /
 * `push` against the REST server, carry them exactly; what the batch format cannot carry (metadata that
 * is not UTF-8, text that is not UTF-8 in a hand-written file) is a clear error and nothing is written.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterAll, describe, expect, it, vi } from "vitest";
import { IndexedDBDriver, KVRegistry, KVStore, MemoryDriver, setRegistry, type KVDriver } from "edge-kv";
import { FileSystemDriver, fileSystemStores } from "edge-kv/node";
import { RedisDriver } from "edge-kv/redis";
import { createServer } from "edge-kv/server";
import { main } from "../../src/cli/main.js";
import { freshStoreName, useRedisServer } from "../redis/support.js";
import { ENTRIES, entryRows, isUtf8 } from "./pool.js";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});
function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "edge-kv-cross-surface-"));
  folders.push(folder);
  return folder;
}

const redis = useRedisServer();
const UTF8_ENTRIES = ENTRIES.filter((entry) => entry.metadata === null || isUtf8(entry.metadata));
const sortedKeys = (entries: typeof ENTRIES) => entryRows(entries).map((row) => row.key);

async function writeAll(registry: KVRegistry, name: string, entries = ENTRIES) {
  setRegistry(registry);
  const store = new KVStore(name);
  for (const entry of entries) await store.put(entry.key, entry.value, entry.metadata === null ? {} : { metadata: entry.metadata });
}

/** `edge-kv <args>` in this process; stdout and stderr captured. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = { stdout: "", stderr: "" };
  const spies = (["stdout", "stderr"] as const).map((stream) =>
    vi.spyOn(process[stream], "write").mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      out[stream] += typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      (rest.find((arg) => typeof arg === "function") as (() => void) | undefined)?.();
      return true;
    }) as typeof process.stdout.write),
  );
  try {
    return { code: await main(args), ...out };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe("every driver keeps the pool byte for byte across a reopen, in key order", () => {
  const drivers: Record<string, () => { open: () => KVDriver; done?: () => Promise<void> }> = {
    memory: () => {
      const driver = new MemoryDriver();
      return { open: () => driver };
    },
    filesystem: () => {
      const directory = join(tempFolder(), "store");
      return { open: () => new FileSystemDriver({ directory, storeName: "store" }) };
    },
    indexeddb: () => {
      const indexedDB = new IDBFactory();
      return { open: () => new IndexedDBDriver({ storeName: "store", databaseName: "edge-kv-cross-surface", indexedDB, IDBKeyRange }) };
    },
    redis: () => {
      const storeName = freshStoreName("cross-surface");
      return { open: () => new RedisDriver({ url: redis.url, storeName }), done: () => new RedisDriver({ url: redis.url, storeName }).destroy() };
    },
  };
  for (const [name, make] of Object.entries(drivers)) {
    it(name, async () => {
      const { open, done } = make();
      const first = new KVRegistry();
      first.defineStore("store", { driver: open() });
      await writeAll(first, "store");
      await first.reset();
      const second = new KVRegistry();
      const admin = second.defineStore("store", { driver: open() });
      try {
        expect(await entryRows(admin)).toEqual(entryRows(ENTRIES));
        setRegistry(second);
        const store = new KVStore("store");
        const listed: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.list({ limit: 9, ...(cursor && { cursor }) });
          listed.push(...page.list);
          cursor = page.cursor;
        } while (cursor);
        expect(listed).toEqual(sortedKeys(ENTRIES));
        for (const entry of ENTRIES) {
          const got = (await store.get(entry.key))!;
          expect([...new Uint8Array(await got.arrayBuffer())], JSON.stringify(entry.key)).toEqual([...entry.value]);
          expect((await store.list({ prefix: entry.key })).list.filter((key) => !key.startsWith(entry.key)), JSON.stringify(entry.key)).toEqual([]);
        }
      } finally {
        await second.reset();
        await done?.();
      }
    });
  }
});

describe("the data tools", () => {
  it("export → import through the CLI on data folders keeps every entry; metadata that is not UTF-8 stops the export with the key named and no file", async () => {
    const data = tempFolder();
    const registry = new KVRegistry({ createDriver: fileSystemStores(data) });
    registry.defineStore("all");
    registry.defineStore("utf8");
    await writeAll(registry, "all");
    await writeAll(registry, "utf8", UTF8_ENTRIES);
    await registry.reset();

    const refused = join(data, "all.ndjson");
    const failed = await cli(["export", "all", "--data", data, "-o", refused, "--quiet"]);
    const firstBinary = entryRows(ENTRIES).find((row) => row.metadata !== null && !isUtf8(new Uint8Array(row.metadata)))!;
    expect(failed).toMatchObject({ code: 1, stderr: expect.stringContaining(`key ${JSON.stringify(firstBinary.key)}: its metadata is not UTF-8 text, which the batch format cannot carry`) });
    expect(existsSync(refused)).toBe(false);

    const file = join(data, "utf8.ndjson");
    expect((await cli(["export", "utf8", "--data", data, "-o", file, "--quiet"])).code).toBe(0);
    expect(readFileSync(file, "utf8").trimEnd().split("\n")).toHaveLength(UTF8_ENTRIES.length);
    expect(await cli(["import", "copy", file, "--data", data, "--quiet"])).toMatchObject({ code: 0, stderr: `imported ${UTF8_ENTRIES.length} records into 'copy'\n` });
    const check = new KVRegistry({ createDriver: fileSystemStores(data) });
    try {
      expect(await entryRows(check.defineStore("copy"))).toEqual(entryRows(UTF8_ENTRIES));
    } finally {
      await check.reset();
    }
    const again = join(data, "copy.ndjson");
    expect((await cli(["export", "copy", "--data", data, "-o", again, "--quiet"])).code).toBe(0);
    expect(readFileSync(again)).toEqual(readFileSync(file));
  });

  it("a hand-written NDJSON file whose bytes are not UTF-8 is refused with its line, not imported with U+FFFD", async () => {
    const data = tempFolder();
    const file = join(data, "latin1.ndjson");
    writeFileSync(file, Buffer.concat([Buffer.from('{"key":"ok","value":"eA=="}\n{"key":"caf'), Buffer.from([0xe9]), Buffer.from('","value":"eA=="}\n')]));
    const result = await cli(["import", "store", file, "--data", data, "--quiet"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`edge-kv import: ${file} line 2: not UTF-8 text (byte 11 of the line): save the file as UTF-8\n`);
    expect((await cli(["list", "store", "--data", data])).code).toBe(1); // no store was created
  });

  it("pull into NDJSON and into a fastly.toml JSON store file, and push back, keep every entry", async () => {
    const registry = new KVRegistry();
    registry.defineStore("remote", { maxMetadataBytes: 2000 });
    registry.defineStore("pushed", { maxMetadataBytes: 2000 });
    await writeAll(registry, "remote", UTF8_ENTRIES);
    const server = await createServer({ registry });
    try {
      const stores = (await (await fetch(`${server.url}/resources/stores/kv`)).json()).data as { id: string; name: string }[];
      const id = (name: string) => stores.find((store) => store.name === name)!.id;
      const folder = tempFolder();
      const ndjson = join(folder, "remote.ndjson");
      expect((await cli(["pull", "--store-id", id("remote"), "--api-url", server.url, "-o", ndjson, "--quiet"])).code).toBe(0);
      const lines = readFileSync(ndjson, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line));
      expect(entryRows(lines.map((line) => ({ key: line.key, value: Buffer.from(line.value, "base64"), metadata: line.metadata === undefined ? null : Buffer.from(line.metadata) })))).toEqual(entryRows(UTF8_ENTRIES));

      const json = join(folder, "remote.json");
      expect((await cli(["pull", "--store-id", id("remote"), "--api-url", server.url, "-o", json, "--quiet"])).code).toBe(0);
      const data = join(folder, "data");
      expect((await cli(["import", "fromjson", json, "--data", data, "--quiet"])).code).toBe(0);
      const local = new KVRegistry({ createDriver: fileSystemStores(data) });
      try {
        expect(await entryRows(local.defineStore("fromjson"))).toEqual(entryRows(UTF8_ENTRIES));
      } finally {
        await local.reset();
      }
      expect((await cli(["push", "fromjson", "--store-id", id("pushed"), "--data", data, "--api-url", server.url, "--quiet"])).code).toBe(0);
      expect(await entryRows(registry.store("pushed"))).toEqual(entryRows(UTF8_ENTRIES));

      // Metadata that is not UTF-8 (KVStore can write it) stops the pull with the key named; no file.
      await registry.store("remote").put("\uFEFFbinary", "v", { metadata: new Uint8Array([0xff]) });
      const refused = join(folder, "refused.ndjson");
      const failed = await cli(["pull", "--store-id", id("remote"), "--api-url", server.url, "-o", refused, "--quiet", "--retries", "0"]);
      expect(failed).toMatchObject({ code: 1, stderr: 'edge-kv pull: the metadata of key "\uFEFFbinary" is not UTF-8 text, which the batch format cannot carry\n' });
      expect(existsSync(refused)).toBe(false);
    } finally {
      await server.close();
    }
  });
});
