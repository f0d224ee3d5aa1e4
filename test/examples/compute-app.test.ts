import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runFixture } from "../shim/run-fixture.js";

const repo = fileURLToPath(new URL("../../", import.meta.url));
const app = fileURLToPath(new URL("../../examples/compute-app/", import.meta.url));

describe("examples/compute-app", () => {
  it("its own test suite passes through the edgeKv() Vitest plugin, on stores from its fastly.toml", async () => {
    const report = await runFixture(app, 90_000, `${app}vitest.config.ts`);
    expect(report.tests.filter((test) => test.status !== "passed"), report.output).toEqual([]);
    expect(report.numPassedTests).toBe(17);
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
    expect(lines[0]).toBe("edge-kv example: the link shortener (examples/compute-app/src/app.ts) on embedded in-memory store 'links' with 2 demo links");
    expect(lines[1]).toMatch(/^serving its fetch handler on http:\/\/127\.0\.0\.1:\d+$/);
    const replies = lines.filter((line) => line.startsWith("← ")).map((line) => line.split(" ")[1]);
    expect(replies).toEqual(["200", "201", "409", "302", "200", "200", "204", "404"]);
    expect(stdout).toContain("← 302 location: https://github.com/");
    expect(stdout).toContain('← 200 {"links":["docs","gh"],"cursor":"bGluazpnaA=="}');
    expect(lines.at(-1)).toBe("demo done: every request above went through fastly:kv-store, served by edge-kv");
  });

  it("`npm run example -- --port 0 --no-demo` keeps serving the app over HTTP until stopped", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "examples/compute-app/serve.ts", "--port", "0", "--no-demo"], { cwd: repo, stdio: ["ignore", "pipe", "pipe"] });
    try {
      const origin = await new Promise<string>((resolve, reject) => {
        let seen = "";
        const timer = setTimeout(() => reject(new Error(`no "serving" line within 30 s; output so far:\n${seen}`)), 30_000);
        child.stdout.on("data", (chunk: Buffer) => {
          seen += chunk.toString();
          const match = /serving its fetch handler on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once("exit", (code) => reject(new Error(`server exited early with ${code}:\n${seen}`)));
      });
      const created = await fetch(`${origin}/links`, { method: "POST", body: JSON.stringify({ url: "https://example.com/", slug: "live" }) });
      expect(created.status).toBe(201);
      const redirect = await fetch(`${origin}/live`, { redirect: "manual" });
      expect(redirect.status).toBe(302);
      expect(redirect.headers.get("location")).toBe("https://example.com/");
    } finally {
      child.kill();
    }
  });
});
