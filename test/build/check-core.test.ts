import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script without types
import { checkBundle } from "../../scripts/check-core.mjs";

describe("build check: the web-standard core imports no Node builtin", () => {
  const bundle = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), "edge-kv-check-"));
    for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
    return join(dir, "index.js");
  };

  it("flags a node: import in a chunk the entry imports", () => {
    const entry = bundle({ "index.js": 'import { x } from "./chunk.js";\nexport { x };', "chunk.js": 'import { readFile } from "node:fs/promises";\nexport const x = readFile;' });
    expect(checkBundle(entry).problems).toEqual([`${entry.replace("index.js", "chunk.js")} imports "node:fs/promises"`]);
  });

  it("flags a bare builtin name such as 'fs' or a dynamic import('path')", () => {
    const entry = bundle({ "index.js": 'import fs from "fs";\nexport const p = import("path");' });
    expect(checkBundle(entry).problems).toEqual([`${entry} imports "fs"`, `${entry} imports "path"`]);
  });

  it("passes a bundle that imports only relative files and packages", () => {
    const entry = bundle({ "index.js": 'import { get } from "idb-keyval";\nimport "./a.js";\nexport { get };', "a.js": "export const a = 1;" });
    expect(checkBundle(entry)).toEqual({ files: 2, problems: [] });
  });
});
