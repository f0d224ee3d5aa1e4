/**
 * The curl examples of docs/rest-server.md, run as written (only the URL is swapped for the test
 * server's) against a live server: the documentation cannot drift from what the server does.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { useServer } from "./helpers.js";

const h = useServer();
const doc = readFileSync(join(import.meta.dirname, "../../docs/rest-server.md"), "utf8");
const shellBlocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!).filter((block) => block.includes("$URL"));

function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", script], { timeout: 20_000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
}

describe("docs/rest-server.md curl examples", () => {
  test("the Fastly, Apify and Telnyx examples run against the server and leave the documented data", async () => {
    expect(shellBlocks).toHaveLength(3);
    const script = `set -e\n${shellBlocks.join("\n").replaceAll("http://127.0.0.1:7878", h.server.url)}`;
    const output = await bash(script);
    expect(output).toContain('{"type":"","title":"success","errors":[]}');
    expect(await h.registry.store("sessions").snapshot()).toEqual({ OUTPUT: '{"a":1}', a: "alpha", b: "beta" });
    expect(await h.registry.store("my-cache").snapshot()).toEqual({ "user/1": "hello" });
    expect((await h.registry.store("sessions").inspect("OUTPUT"))!.contentType).toBe("application/json");
  });
});
