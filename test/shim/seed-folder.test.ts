import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSeedFolder } from "../../src/shim/config.js";

function folder(): string {
  return mkdtempSync(join(tmpdir(), "edge-kv-seed-"));
}

describe("seed folders: file names become keys byte for byte", () => {
  it("keys are the relative paths, odd code points kept (BOM, U+FFFF, emoji, NUL-free)", () => {
    const root = folder();
    mkdirSync(join(root, "\uFEFFdir", "😀"), { recursive: true });
    writeFileSync(join(root, "\uFEFFdir", "😀", "a\uFFFF"), "one");
    writeFileSync(join(root, "plain"), "two");
    const seed = readSeedFolder(root);
    expect(Object.keys(seed).sort()).toEqual(["plain", "\uFEFFdir/😀/a\uFFFF"]);
    expect(new TextDecoder().decode(seed["\uFEFFdir/😀/a\uFFFF"])).toBe("one");
  });

  it("a file name that is not UTF-8 is refused, naming the file and its bytes, instead of becoming a U+FFFD key", () => {
    const root = folder();
    mkdirSync(join(root, "sub"));
    writeFileSync(join(root, "good"), "x");
    writeFileSync(Buffer.concat([Buffer.from(join(root, "sub") + "/"), Buffer.from([0x61, 0xff, 0x62])]), "y");
    expect(() => readSeedFolder(root, "edgeKv({ stores: { s: ... } })")).toThrow(
      `edgeKv({ stores: { s: ... } }): the name of ${join(root, "sub")}/a\uFFFDb is not valid UTF-8 (bytes 61 ff 62), so it cannot be a KV key. ` +
        `Rename it (or move it out of ${root}); nothing was seeded`,
    );
  });

  it("a folder name that is not UTF-8 is refused the same way", () => {
    const root = folder();
    mkdirSync(Buffer.concat([Buffer.from(root + "/"), Buffer.from([0xc3, 0x28])]));
    expect(() => readSeedFolder(root)).toThrow(`seed folder: the name of ${root}/\uFFFD( is not valid UTF-8 (bytes c3 28), so it cannot be a KV key.`);
  });
});
