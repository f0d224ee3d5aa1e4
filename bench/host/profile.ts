/**
 * Where the app host's time goes: bundles bench/host/profile-worker.ts like the benchmark does, runs it
 * under `node --cpu-prof` and prints the functions with the most self time, and the inclusive time of
 * the host's own functions (src/host, observer, registry).
 *
 *   node --import tsx bench/host/profile.ts [host|direct] ["kv get"|constant] [requests]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle } from "../lib/build.js";

const [side = "host", app = "kv get", count = "300000"] = process.argv.slice(2);
const script = await bundle("bench/host/profile-worker.ts", ".bench-tmp/host-profile-worker.mjs");
const dir = mkdtempSync(join(tmpdir(), "edge-kv-host-profile-"));
const run = spawnSync(process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, script, side, app, count], { stdio: ["ignore", "inherit", "inherit"], timeout: 240_000 });
if (run.status !== 0) process.exit(run.status ?? 1);

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
const file = readdirSync(dir).find((name) => name.endsWith(".cpuprofile"))!;
const profile = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const label = (node: ProfileNode) => `${node.callFrame.functionName || "(anonymous)"}  ${node.callFrame.url.split("/").pop()}:${node.callFrame.lineNumber + 1}`;
const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  const name = label(nodes.get(id)!);
  self.set(name, (self.get(name) ?? 0) + delta);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const frame = label(nodes.get(at)!);
    if (seen.has(frame)) continue;
    seen.add(frame);
    inclusive.set(frame, (inclusive.get(frame) ?? 0) + delta);
  }
});
const top = (map: Map<string, number>, n: number) => [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
console.log(`self time, ${file}:`);
for (const [name, time] of top(self, 25)) console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
console.log("\ninclusive time (bundled functions):");
for (const [name, time] of top(new Map([...inclusive].filter(([name]) => name.includes(".mjs:"))), 30)) console.log(`${((100 * time) / total).toFixed(1).padStart(5)} %  ${name}`);
