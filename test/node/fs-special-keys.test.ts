/**
 * Keys whose first code point a default TextDecoder would eat (U+FEFF) and other code points that
 * decoders treat specially, through the filesystem driver: same process, after a reopen, across a
 * compaction, and from a store folder written before the decoder was fixed (same bytes on disk).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { crc32 } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { FileSystemDriver, StoreCorruptedError, fileSystemStores } from "edge-kv/node";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

/** Each pair: a key and the same key without the code point a decoder might drop or replace. */
const SPECIAL = ["\uFEFFbom", "\uFEFF", "\uFEFF\uFEFF", "a\uFEFF", "\uFFFEx", "\uFFFF", "\u2028", "\u2029x", "\u0000", "\uFFFD"];

function storeOn(root: string, options: { compactAfterBytes?: number } = {}) {
  const registry = new KVRegistry({ createDriver: fileSystemStores(root, { durability: "relaxed", ...options }) });
  registry.defineStore("s");
  setRegistry(registry);
  return { registry, store: new KVStore("s") };
}

async function listAll(store: KVStore): Promise<string[]> {
  return (await store.list({})).list;
}

describe("filesystem store keys that start with U+FEFF (and other specially decoded code points)", () => {
  it("keeps '\\uFEFFbom' apart from 'bom' in the same process and after a reopen", async () => {
    const root = tempFolder();
    const first = await storeOn(root);
    await first.store.put("bom", "plain");
    await first.store.put("\uFEFFbom", "with-bom");
    expect(await (await first.store.get("\uFEFFbom"))!.text()).toBe("with-bom");
    expect(await (await first.store.get("bom"))!.text()).toBe("plain");
    const second = await storeOn(root);
    expect(await listAll(second.store)).toEqual(["bom", "\uFEFFbom"]);
    expect(await (await second.store.get("bom"))!.text()).toBe("plain");
    expect(await (await second.store.get("\uFEFFbom"))!.text()).toBe("with-bom");
  });

  it("keeps every special key distinct from its plain twin, across a compaction and a reopen", async () => {
    const root = tempFolder();
    const { store } = await storeOn(root, { compactAfterBytes: 1 });
    const keys = [...SPECIAL, ...SPECIAL.map((key) => key.replace(/[\uFEFF\uFFFE\uFFFF\u2028\u2029\u0000\uFFFD]/g, "") || "plain")];
    for (let round = 0; round < 3; round++) for (const key of keys) await store.put(key, `${round}:${key}`); // overwrites force compactions
    const reopened = await storeOn(root);
    const listed = await listAll(reopened.store);
    expect(new Set(listed)).toEqual(new Set(keys));
    for (const key of keys) expect(await (await reopened.store.get(key))!.text()).toBe(`2:${key}`);
    await reopened.store.put("after", "compaction still accepts writes");
    expect(await (await reopened.store.get("after"))!.text()).toBe("compaction still accepts writes");
  });

  it("reads a store folder written by edge-kv 0.1.0 (the bytes on disk were always right)", async () => {
    // A segment as 0.1.0 wrote it after put("bom", "plain") and put("\uFEFFbom", "with-bom").
    const directory = tempFolder();
    mkdirSync(directory, { recursive: true });
    writeFileSync(join(directory, "edge-kv-store.json"), JSON.stringify({ format: "edge-kv/fs", version: 1 }) + "\n");
    const segment =
      "454447454b564c31000000000000f03f" +
      "30000000cf172a1801000300000000000000000005000000000000000000f03f000000000000000000008056febc7842626f6d706c61696e" +
      "36000000534d9b4101000600000000000000000008000000000000000000f03f000000000000000000008056febc7842efbbbf626f6d776974682d626f6d";
    writeFileSync(join(directory, "data-0000000000000001.log"), Buffer.from(segment, "hex"));
    const registry = new KVRegistry();
    registry.defineStore("old", { driver: new FileSystemDriver({ directory }) });
    setRegistry(registry);
    const store = new KVStore("old");
    expect(await listAll(store)).toEqual(["bom", "\uFEFFbom"]);
    expect(await (await store.get("bom"))!.text()).toBe("plain");
    expect(await (await store.get("\uFEFFbom"))!.text()).toBe("with-bom");
  });

  it("refuses a log record whose key bytes are not UTF-8 (checksum intact) instead of merging keys", async () => {
    const directory = tempFolder();
    writeFileSync(join(directory, "edge-kv-store.json"), JSON.stringify({ format: "edge-kv/fs", version: 1 }) + "\n");
    // The second record of the segment above with its key bytes EF BB BF 'b' 'o' 'm' replaced by FF 'b' 'o' 'm' 'm' 'm'.
    const body = Buffer.from("01000600000000000000000008000000000000000000f03f000000000000000000008056febc7842ff626f6d6d6d776974682d626f6d", "hex");
    const header = Buffer.alloc(8);
    header.writeUInt32LE(body.byteLength, 0);
    header.writeUInt32LE(crc32(body), 4);
    // Followed by a good record, so it is damage and not a write cut short at the end of the log.
    const good = "30000000cf172a1801000300000000000000000005000000000000000000f03f000000000000000000008056febc7842626f6d706c61696e";
    writeFileSync(join(directory, "data-0000000000000001.log"), Buffer.concat([Buffer.from("454447454b564c31000000000000f03f", "hex"), header, body, Buffer.from(good, "hex")]));
    const driver = new FileSystemDriver({ directory });
    const error = await Promise.resolve(driver.scan({ limit: 10 })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StoreCorruptedError);
    expect((error as Error).message).toContain("key is not valid UTF-8");
  });
});
