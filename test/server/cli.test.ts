import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, test } from "vitest";
import { EdgeKvError } from "edge-kv";
import { parseServeArgs } from "../../src/cli/serve.js";
import { COMMANDS } from "../../src/cli/main.js";
import { runCli, startCli, stopAll, stopCli } from "./cli-process.js";

const folders: string[] = [];

function tempFolder(): string {
  const folder = mkdtempSync(join(tmpdir(), "edge-kv-cli-"));
  folders.push(folder);
  return folder;
}

afterEach(stopAll);
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe("edge-kv serve", () => {
  test("serves memory stores on 127.0.0.1 with --store, requires --token when given, and exits 0 on SIGTERM", async () => {
    const { child, url } = await startCli(["serve", "--port", "0", "--store", "sessions", "--token", "t0k"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/resources/stores/kv`)).status).toBe(401);
    const list = await fetch(`${url}/resources/stores/kv`, { headers: { "fastly-key": "t0k" } });
    expect(((await list.json()) as { data: { name: string }[] }).data.map((s) => s.name)).toEqual(["sessions"]);
    expect(await stopCli(child)).toBe(0);
  });

  test("with --data, items, store ids and REST-created (and renamed) stores survive a restart", async () => {
    const data = tempFolder();
    const first = await startCli(["serve", "--port", "0", "--data", data]);
    const created = await fetch(`${first.url}/resources/stores/kv`, { method: "POST", body: JSON.stringify({ name: "orders" }) });
    const { id } = (await created.json()) as { id: string };
    expect((await fetch(`${first.url}/resources/stores/kv/${id}/keys/o1`, { method: "PUT", body: "paid", headers: { metadata: "m" } })).status).toBe(200);
    const other = (await (await fetch(`${first.url}/resources/stores/kv`, { method: "POST", body: JSON.stringify({ name: "before" }) })).json()) as { id: string };
    await fetch(`${first.url}/resources/stores/kv/${other.id}/keys/k`, { method: "PUT", body: "kept" });
    expect((await fetch(`${first.url}/resources/stores/kv/${other.id}`, { method: "PUT", body: JSON.stringify({ name: "after" }) })).status).toBe(200);
    expect(await stopCli(first.child)).toBe(0);

    const second = await startCli(["serve", "--port", "0", "--data", data]);
    const stores = (await (await fetch(`${second.url}/resources/stores/kv`)).json()) as { data: { id: string; name: string }[] };
    expect(stores.data.map((s) => [s.name, s.id])).toEqual([
      ["after", other.id],
      ["orders", id],
    ]);
    const item = await fetch(`${second.url}/resources/stores/kv/${id}/keys/o1`);
    expect([await item.text(), item.headers.get("metadata")]).toEqual(["paid", "m"]);
    expect(await (await fetch(`${second.url}/resources/stores/kv/${other.id}/keys/k`)).text()).toBe("kept");
    expect(await stopCli(second.child)).toBe(0);
  });

  test("--fastly-toml defines and seeds the [local_server.kv_stores] stores", async () => {
    const project = tempFolder();
    writeFileSync(join(project, "fastly.toml"), 'manifest_version = 3\n[[local_server.kv_stores.sessions]]\nkey = "a"\ndata = "alpha"\nmetadata = "m1"\n');
    const { child, url } = await startCli(["serve", "--port", "0", "--fastly-toml", join(project, "fastly.toml")]);
    const { data } = (await (await fetch(`${url}/resources/stores/kv?name=sessions`)).json()) as { data: { id: string }[] };
    const item = await fetch(`${url}/resources/stores/kv/${data[0]!.id}/keys/a`);
    expect([await item.text(), item.headers.get("metadata")]).toEqual(["alpha", "m1"]);
    expect(await stopCli(child)).toBe(0);
  });

  test("a fastly.toml that cannot be read stops the CLI with exit code 1 and the loader's message", async () => {
    const toml = join(tempFolder(), "missing.toml");
    const result = await runCli(["serve", "--port", "0", "--fastly-toml", toml]);
    expect([result.code, result.stderr]).toEqual([1, `edge-kv: error reading '${toml}': no such file. Check the path (relative paths resolve against ${process.cwd()}).\n`]);
  });

  test("--help prints the options and exits 0; an unknown command or option exits 2 saying what to do", async () => {
    const help = await runCli(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--fastly-toml <file>");
    const command = await runCli(["start"]);
    const commands = Object.keys(COMMANDS).map((name) => `'edge-kv ${name}'`).join(", ");
    expect(commands).toContain("'edge-kv serve'");
    expect([command.code, command.stderr]).toEqual([2, `edge-kv: unknown command 'start'. Commands: ${commands}; run 'edge-kv --help'\n`]);
    const usage = await runCli(["--help"]);
    expect(usage.code).toBe(0);
    for (const name of Object.keys(COMMANDS)) expect(usage.stdout).toMatch(new RegExp(`^  ${name} +\\S.{20,}$`, "m")); // each command with what it is for
    expect(usage.stdout).toContain("  dev     serve a Compute app (src/index.ts) on http://127.0.0.1:7676, its stores at /_edge-kv/\n");
    const option = await runCli(["serve", "--prot", "1"]);
    expect(option.code).toBe(2);
    expect(option.stderr).toBe(
      "edge-kv: serve: Unknown option '--prot'. Run 'edge-kv serve --help' for the options\n",
    );
  });
});

describe("serve arguments", () => {
  test("defaults: port 7878, host 127.0.0.1, memory, token from EDGE_KV_TOKEN", () => {
    expect(parseServeArgs([], { EDGE_KV_TOKEN: "env" })).toEqual({ port: 7878, host: "127.0.0.1", data: undefined, fastlyToml: undefined, stores: [], token: "env", insecureNoToken: false, redis: undefined });
  });

  test.each([
    [["--port", "70000"], "edge-kv: serve: --port must be a number from 0 to 65535, got '70000'"],
    [["--port", "x"], "edge-kv: serve: --port must be a number from 0 to 65535, got 'x'"],
    [["--memory", "--data", "d"], "edge-kv: serve: --memory and --data exclude each other; pick one"],
  ])("%j is refused with EdgeKvError", (args, message) => {
    expect(() => parseServeArgs(args, {})).toThrow(new EdgeKvError(message));
    try {
      parseServeArgs(args, {});
    } catch (error) {
      expect(error).toBeInstanceOf(EdgeKvError);
    }
  });
});
