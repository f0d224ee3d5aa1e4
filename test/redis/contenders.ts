/**
 * Several processes against one Redis store at once (test/redis/children/contender.ts), and the check
 * that nothing was lost or doubled: the counter ends exact, every append and prepend is there once,
 * every `add` race has exactly one winner.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect } from "vitest";
import { KVRegistry } from "edge-kv";
import { redisStores } from "edge-kv/redis";

const CHILD = join(import.meta.dirname, "children/contender.ts");

function contender(url: string, store: string, id: string, iterations: number): { ready: Promise<void>; done: Promise<{ id: string; wins: string[]; conflicts: number }> } {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, url, store, id, String(iterations)], { cwd: join(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith("ready\n")) markReady();
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<{ id: string; wins: string[]; conflicts: number }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").pop()!;
      if (code !== 0) reject(new Error(`contender ${id} exited with ${code}: ${err}${out}`));
      else resolve(JSON.parse(line) as { id: string; wins: string[]; conflicts: number });
    });
  });
  return { ready, done };
}

/** Runs `processes` contenders for `iterations` rounds each on a fresh store and checks the outcome exactly. */
export async function checkContenders(url: string, store: string, processes: number, iterations: number): Promise<void> {
  const ids = Array.from({ length: processes }, (_, i) => `p${i}`);
  const children = ids.map((id) => contender(url, store, id, iterations));
  await Promise.all(children.map((child) => child.ready));
  const stores = redisStores(url);
  const registry = new KVRegistry({ createDriver: stores });
  const admin = registry.defineStore(store);
  await admin.put("go", "1");
  const results = await Promise.all(children.map((child) => child.done));

  expect((await admin.inspect("counter"))!.text).toBe(String(processes * iterations));
  for (const key of ["log", "prepended"]) {
    const parts = (await admin.inspect(key))!.text.split(",").filter(Boolean);
    expect(parts.sort()).toEqual(ids.flatMap((id) => Array.from({ length: iterations }, (_, n) => `${id}:${n}`)).sort());
  }
  // Appends from one process keep their order; prepends come out reversed.
  const log = (await admin.inspect("log"))!.text.split(",").filter(Boolean);
  for (const id of ids) expect(log.filter((part) => part.startsWith(`${id}:`))).toEqual(Array.from({ length: iterations }, (_, n) => `${id}:${n}`));
  const raced = new Set(Array.from({ length: Math.min(iterations, 10) }, (_, n) => `once-${n}`));
  const wins = results.flatMap((result) => result.wins);
  expect(wins.sort()).toEqual([...raced].sort());
  for (const key of raced) expect(ids).toContain((await admin.inspect(key))!.text);
  await registry.removeStore(store);
  await stores.close();

}
