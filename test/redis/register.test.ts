/**
 * `node --import edge-kv/register` with EDGE_KV_REDIS: the app's stores live in Redis, seeded from
 * fastly.toml only where keys are missing, so data survives the process; and the process exits by
 * itself when the app is done (the idle connection does not hold it open).
 */
import { execFile } from "node:child_process";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { useRedisServer } from "./support.js";

const redis = useRedisServer();
const cwd = fileURLToPath(new URL("../shim/fixtures/node-app/", import.meta.url));
const registerUrl = pathToFileURL(fileURLToPath(new URL("../../src/shim/register.ts", import.meta.url))).href;

function run(script: string, env: Record<string, string>) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--import", registerUrl, script],
      { cwd, timeout: 30_000, env: { ...process.env, EDGE_KV_MODULES: JSON.stringify({ "fastly:env": "./env.mjs" }), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("node --import edge-kv/register with EDGE_KV_REDIS", () => {
  it("keeps the stores in Redis: data survives the process, the seed does not overwrite it, and the process exits by itself", async () => {
    const first = await run("app.mjs", { EDGE_KV_REDIS: redis.url });
    expect([first.code, first.stderr, first.stdout]).toEqual([0, "", "greeting=hello metadata=v1 host=localhost\nruns=1\n"]);
    const second = await run("app.mjs", { EDGE_KV_REDIS: redis.url });
    expect([second.code, second.stderr, second.stdout]).toEqual([0, "", "greeting=hello metadata=v1 host=localhost\nruns=2\n"]);
    expect((await run("code-store.mjs", { EDGE_KV_REDIS: redis.url })).stdout).toBe("n=1\n");
    expect((await run("code-store.mjs", { EDGE_KV_REDIS: redis.url })).stdout).toBe("n=2\n");
  });

  it("refuses EDGE_KV_DATA together with EDGE_KV_REDIS", async () => {
    const result = await run("app.mjs", { EDGE_KV_REDIS: redis.url, EDGE_KV_DATA: "/tmp/unused" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("edge-kv: EDGE_KV_DATA and EDGE_KV_REDIS are both set: stores live in a folder or in Redis, not both. Unset one of them");
  });
});
