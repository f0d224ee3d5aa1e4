import { describe, expect, it } from "vitest";
import { quickstart } from "../../examples/quickstart/main.js";

describe("examples/quickstart (the README quick start)", () => {
  it("prints what it did, with the runtime's errors", async () => {
    const lines: string[] = [];
    await quickstart((line) => lines.push(line));
    expect(lines).toEqual([
      'get user:1 -> {"name":"Ada"} (metadata v2)',
      "add again -> TypeError: KVStore insert: Precondition failed.",
      'list -> {"list":["user:1"]}',
      expect.stringMatching(/^put with gen \d+ -> ok$/),
      "after 1 hour: get user:1 -> null",
      "delete -> TypeError: KVStore delete: Not found.",
    ]);
  });
});
