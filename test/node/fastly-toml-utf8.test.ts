/**
 * fastly.toml and the JSON files it names (KV, config and secret stores) as bytes: a leading byte order mark, keys and data that
 * start with U+FEFF, and bytes that are not UTF-8 (an error naming the file and where, never a silent
 * U+FFFD in a seeded key or value).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EdgeKvError } from "edge-kv";
import { readFastlyKvStores } from "edge-kv/node";
import { removeTempFolders, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const bytes = (...parts: (string | Buffer | number[])[]) => Buffer.concat(parts.map((part) => (typeof part === "string" ? Buffer.from(part, "utf8") : Buffer.from(part))));

function project(files: Record<string, Buffer>): string {
  const folder = tempFolder("edge-kv-toml-utf8-");
  for (const [name, contents] of Object.entries(files)) writeFileSync(join(folder, name), contents);
  return join(folder, "fastly.toml");
}

async function read(toml: string) {
  const stores = await readFastlyKvStores(toml);
  return Object.fromEntries([...stores].map(([name, entries]) => [name, entries.map((entry) => ({ ...entry, value: Array.from(entry.value) }))]));
}

async function failure(toml: string): Promise<string> {
  const error = await readFastlyKvStores(toml).then(() => null, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(EdgeKvError);
  return (error as Error).message;
}

describe("fastly.toml bytes", () => {
  it("reads a fastly.toml saved with a byte order mark, and keeps U+FEFF at the start of keys, data and metadata", async () => {
    const toml = project({
      "fastly.toml": bytes(BOM, '[[local_server.kv_stores.s]]\nkey = "\uFEFFk"\ndata = "\uFEFFv"\nmetadata = "\\uFEFFm"\n'),
    });
    expect(await read(toml)).toEqual({ s: [{ key: "\uFEFFk", value: [0xef, 0xbb, 0xbf, 0x76], metadata: "\uFEFFm" }] });
  });

  it("refuses a fastly.toml whose bytes are not UTF-8, naming the file, line and column", async () => {
    const toml = project({ "fastly.toml": bytes('[[local_server.kv_stores.s]]\nkey = "k"\ndata = "caf', [0xe9], '"\n') });
    expect(await failure(toml)).toBe(
      `edge-kv: error reading \`fastly.toml\` at ${toml}:3:12: the file is not valid UTF-8 (byte ${"[[local_server.kv_stores.s]]\nkey = \"k\"\ndata = \"caf".length}). Save it as UTF-8.`,
    );
  });

  it("keeps keys that start with U+FEFF in a whole-store JSON file", async () => {
    const toml = project({
      "fastly.toml": bytes('[local_server.kv_stores]\ns = { file = "s.json", format = "json" }\n'),
      "s.json": bytes('{"\uFEFFk": "\uFEFFv", "k": {"data": "v", "metadata": "\uFEFFm"}}'),
    });
    expect(await read(toml)).toEqual({ s: [{ key: "\uFEFFk", value: [0xef, 0xbb, 0xbf, 0x76] }, { key: "k", value: [0x76], metadata: "\uFEFFm" }] });
  });

  it("refuses a whole-store JSON file whose bytes are not UTF-8, or that starts with a byte order mark, saying so", async () => {
    const badBytes = project({
      "fastly.toml": bytes('[local_server.kv_stores]\ns = { file = "s.json", format = "json" }\n'),
      "s.json": bytes('{"k": "caf', [0xe9], '"}'),
    });
    const folder = join(badBytes, "..");
    expect(await failure(badBytes)).toBe(
      `edge-kv: invalid configuration for 's': The file is not valid UTF-8 (byte 10). Save it as UTF-8. [file ${join(folder, "s.json")} (listed in ${badBytes})]`,
    );
    const withBom = project({
      "fastly.toml": bytes('[local_server.kv_stores]\ns = { file = "s.json", format = "json" }\n'),
      "s.json": bytes(BOM, '{"k": "v"}'),
    });
    expect(await failure(withBom)).toBe(
      `edge-kv: invalid configuration for 's': The file starts with a byte order mark (U+FEFF), which JSON does not allow (Viceroy refuses it too). Save it as UTF-8 without BOM. [file ${join(withBom, "..", "s.json")} (listed in ${withBom})]`,
    );
  });

  it.each([
    ["config store", '[local_server.config_stores.s]\nformat = "json"\nfile = "s.json"\n'],
    ["secret store", '[local_server.secret_stores]\ns = { file = "s.json", format = "json" }\n'],
  ])("refuses a %s JSON file that is not UTF-8 or starts with a byte order mark, as for KV stores", async (_kind, config) => {
    const badBytes = project({ "fastly.toml": bytes(config), "s.json": bytes('{"k": "caf', [0xe9], '"}') });
    expect(await failure(badBytes)).toBe(
      `edge-kv: invalid configuration for 's': The file is not valid UTF-8 (byte 10). Save it as UTF-8. [file ${join(badBytes, "..", "s.json")} (listed in ${badBytes})]`,
    );
    const withBom = project({ "fastly.toml": bytes(config), "s.json": bytes(BOM, '{"k": "v"}') });
    expect(await failure(withBom)).toBe(
      `edge-kv: invalid configuration for 's': The file starts with a byte order mark (U+FEFF), which JSON does not allow (Viceroy refuses it too). Save it as UTF-8 without BOM. [file ${join(withBom, "..", "s.json")} (listed in ${withBom})]`,
    );
  });
});
