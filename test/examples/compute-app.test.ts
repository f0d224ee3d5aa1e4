import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it, vi } from "vitest";
import { runFixture } from "../shim/run-fixture.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const app = fileURLToPath(new URL("../../examples/compute-app/", import.meta.url));

describe("examples/compute-app", () => {
  it("its own test suite passes through the edgeKv() Vitest plugin, on stores from its fastly.toml", async () => {
    const report = await runFixture(app, 90_000, `${app}vitest.config.ts`);
    expect(report.tests.filter((test) => test.status !== "passed"), report.output).toEqual([]);
    expect(report.numPassedTests).toBe(18);
    expect(report.exitCode).toBe(0);
  });

  it("`npm run example -- --demo` serves the app over HTTP on the embedded store, prints each request and exits 0", async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "tsx", "examples/compute-app/serve.ts", "--demo"],
        { cwd: repo, timeout: 60_000 },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("edge-kv example: the link shortener (examples/compute-app/src/index.ts) on the in-memory store 'links' with 2 links from its fastly.toml");
    expect(lines[1]).toMatch(/^serving it through edge-kv's app host \(as npx edge-kv dev does\) on http:\/\/127\.0\.0\.1:\d+$/);
    const replies = lines.filter((line) => line.startsWith("← ")).map((line) => line.split(" ")[1]);
    expect(replies).toEqual(["200", "201", "409", "302", "200", "200", "204", "404"]);
    expect(stdout).toContain("← 302 location: https://github.com/");
    expect(stdout).toContain('← 200 {"links":["docs","gh"],"cursor":"bGluazpnaA=="}');
    expect(lines.at(-1)).toBe("demo done: every request above went through the app's fetch listener and fastly:kv-store, served by edge-kv");
  });

  it("`npm run example -- --port 0 --no-demo` keeps serving the app over HTTP until stopped, with the stores under /_edge-kv/api/ and one log line per request", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/compute-app/serve.ts", "--port", "0", "--no-demo"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        let seen = "";
        const timer = setTimeout(() => reject(new Error(`no "serving" line within 30 s; output so far:\n${seen}`)), 30_000);
        child.stdout.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /on (http:\/\/127\.0\.0\.1:\d+)\n[\s\S]*Ctrl-C to stop/.exec(seen);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once("exit", (code) => reject(new Error(`server exited early with ${code}:\n${seen}`)));
      });
      let log = "";
      child.stdout.on("data", (chunk: Buffer) => (log += chunk.toString()));
      const created = await fetch(`${origin}/links`, { method: "POST", body: JSON.stringify({ url: "https://example.com/", slug: "live" }) });
      expect(created.status).toBe(201);
      const redirect = await fetch(`${origin}/live`, { redirect: "manual" });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe("https://example.com/");
      const stores = (await (await fetch(`${origin}/_edge-kv/api/resources/stores/kv`)).json()) as { data: Array<{ id: string; name: string }> };
      const keys = (await (await fetch(`${origin}/_edge-kv/api/resources/stores/kv/${stores.data[0]!.id}/keys`)).json()) as { data: string[] };
      expect(keys.data).toEqual(["link:docs", "link:home", "link:live"]);
      await vi.waitFor(() => expect(log).toMatch(/^POST \/links 201 [\d.]+ ms\nGET \/live 302 [\d.]+ ms\n/m));
    } finally {
      child.kill();
    }
  });
});
