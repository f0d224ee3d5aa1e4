/**
 * README.md's snippets stay true: each TypeScript block names the file it comes from on its first line
 * (`// examples/...`) and every line of it appears in that file, which a test runs; the curl blocks are
 * the ones of docs/rest-server.md, which test/server/docs-examples.test.ts runs against a live server.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "../..");
const readme = readFileSync(join(root, "README.md"), "utf8");
const blocks = (text: string, language: string) => [...text.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((match) => match[1]!);

describe("README.md snippets", () => {
  const tsBlocks = blocks(readme, "ts");

  it("has TypeScript snippets, each naming its source file", () => {
    expect(tsBlocks.length).toBeGreaterThanOrEqual(3);
    for (const block of tsBlocks) expect(block.split("\n")[0]).toMatch(/^\/\/ (examples|docs)\/\S+/);
  });

  for (const block of blocks(readme, "ts")) {
    const source = block.split("\n")[0]!.replace(/^\/\/ /, "").split(" ")[0]!;
    it(`every line of the snippet from ${source} is in that file`, () => {
      const fileLines = new Set(readFileSync(join(root, source), "utf8").split("\n").map((line) => line.trim()));
      const missing = block.split("\n").slice(1).map((line) => line.trim()).filter((line) => line !== "" && !fileLines.has(line));
      expect(missing).toEqual([]);
    });
  }

  it("shows the curl examples of docs/rest-server.md, which run against a live server in test/server", () => {
    const docs = readFileSync(join(root, "docs/rest-server.md"), "utf8");
    const withUrl = (text: string) => blocks(text, "sh").filter((block) => block.includes("$URL"));
    expect(withUrl(readme)).toHaveLength(3);
    expect(withUrl(readme)).toEqual(withUrl(docs));
  });

  it("gives exactly the two commands: install + example, install + test", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const commands = blocks(readme, "sh")[0]!.split("\n").filter((line) => line.startsWith("npm "));
    expect(commands.map((line) => line.split("#")[0]!.trim())).toEqual(["npm install && npm run example", "npm install && npm test"]);
    expect(pkg.scripts.example).toContain("examples/compute-app/serve.ts");
    expect(pkg.scripts.test).toContain("vitest run");
  });
});
