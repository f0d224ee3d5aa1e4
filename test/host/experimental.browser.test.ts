/**
 * fastly:experimental in a real browser: there are no project files, so includeBytes says so (no reader
 * can be made: projectFiles needs Node's filesystem); a reader of your own works; the other exports load.
 */
import { expect, it } from "vitest";
import { setIncludeBytesReader } from "edge-kv";
import { projectFiles } from "../../src/compute/project-files.js";
import { includeBytes, mapError, sdkVersion } from "fastly:experimental";

it("includeBytes names the situation in a browser; a reader over in-memory files serves it", () => {
  expect(projectFiles("/project")).toBeUndefined();
  expect(() => includeBytes("./src/page.html")).toThrow(/^edge-kv: includeBytes\("\.\/src\/page\.html"\): no project files to read here\. .*In a browser there is no project folder to read$/);
  const files = new Map([["src/page.html", new TextEncoder().encode("<p>hi</p>")]]);
  const restore = setIncludeBytesReader({ root: "memory", read: (path) => files.get(path) ?? "missing" });
  try {
    expect(new TextDecoder().decode(includeBytes("/src/./page.html"))).toBe("<p>hi</p>");
    expect(() => includeBytes("src/other.html")).toThrow(new Error("Error opening file src/other.html"));
  } finally {
    restore();
  }
  expect([typeof sdkVersion, mapError("x")[1]]).toEqual(["string", "x"]);
});
