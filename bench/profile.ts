/**
 * Where the time goes: bundles bench/profile-worker.ts like the benchmark does, runs it under
 * `node --cpu-prof` and prints the functions with the most self time.
 *
 *   node --import tsx bench/profile.ts get        # also: put, insert, list, listAll; optional key count
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "./lib/build.js";

const [operation = "get", keys = "100000"] = process.argv.slice(2);
const script = await bundle("bench/profile-worker.ts", ".bench-tmp/profile-worker.mjs");
const dir = mkdtempSync(join(tmpdir(), "edge-kv-profile-"));
const run = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, script, operation, keys], { stdio: ["ignore", "inherit", "inherit"], timeout: 240_000 });
if (run.status !== 0) process.exit(run.status ?? 1);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))!;
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const self = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = nodes.get(id)!.callFrame;
  const name = `${frame.functionName || "(anonymous)"}  ${frame.url.split("/").pop()}:${frame.lineNumber + 1}`;
  const delta = profile.timeDeltas[i] ?? 0;
  self.set(name, (self.get(name) ?? 0) + delta);
  total += delta;
});
console.log(`self time, ${file}:`);
for (const [name, time] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
