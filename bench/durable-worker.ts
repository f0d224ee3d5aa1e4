/**
 * Durable filesystem writes from concurrent writers (group commit): the writes per second of W
 * writers spread over P processes on one store folder, for a fixed wall-clock window. Every writer
 * loops `await store.put(ownKey, 100 bytes)` (a resolved durable put is on the disk), each on its own
 * keys. The parent starts the P children, which open the store, wait for a common start time, write
 * until a common end time and print their count.
 *
 *   node durable-worker.mjs --dir D --writers 16 --processes 4 --ms 3000     # prints {"writesPerSecond": ...}
 */
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { KVRegistry, KVStore, setRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { parseArgs } from "./lib/harness.js";
import { VALUE } from "./lib/suite.js";

const args = parseArgs(process.argv.slice(2));
const directory = args.get("dir")!;
const writers = Number(args.get("writers") ?? 1);

if (args.has("child")) {
  const startAt = Number(args.get("start"));
  const endAt = Number(args.get("end"));
  const id = args.get("id") ?? "0";
  const registry = new KVRegistry();
  registry.defineStore("durable", { driver: await FileSystemDriver.open({ directory, durability: "durable" }) });
  setRegistry(registry);
  const store = new KVStore("durable");
  await store.put(`warm/${id}`, VALUE);
  while (Date.now() < startAt) await new Promise((resolve) => setTimeout(resolve, 1));
  let count = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; Date.now() < endAt; i++) {
        await store.put(`p${id}/w${w}/${i % 100}`, VALUE);
        count++;
      }
    }),
  );
  await registry.reset();
  process.stdout.write(`${JSON.stringify({ count })}\n`);
} else {
  const processes = Number(args.get("processes") ?? 1);
  const ms = Number(args.get("ms") ?? 3000);
  rmSync(directory, { recursive: true, force: true });
  mkdirSync(directory, { recursive: true });
  const startAt = Date.now() + 1500; // time for every child to start and open the store
  const endAt = startAt + ms;
  const counts = await Promise.all(
    Array.from({ length: processes }, (_, p) => {
      const perProcess = Math.floor(writers / processes) + (p < writers % processes ? 1 : 0);
      return new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, [process.argv[1]!, "--child", "--dir", directory, "--writers", String(perProcess), "--id", String(p), "--start", String(startAt), "--end", String(endAt)], {
          stdio: ["ignore", "pipe", "inherit"],
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
        child.on("close", (code) => (code === 0 ? resolve((JSON.parse(out.trim()) as { count: number }).count) : reject(new Error(`durable writer exited with ${code}`))));
      });
    }),
  );
  rmSync(directory, { recursive: true, force: true });
  const total = counts.reduce((a, b) => a + b, 0);
  process.stdout.write(`${JSON.stringify({ writesPerSecond: (total * 1000) / ms, counts })}\n`);
}
