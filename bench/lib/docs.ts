/**
 * docs/benchmarks.md: generated from bench/results/{ours,peers}.json, plus the hand-written analysis
 * in bench/analysis.md (profiles, missed targets, what would close them).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.js";
import { formatOps, formatRatio, median } from "./harness.js";
import { barChart, cell, colorsFor, formatSize, loadSuite, ratio, sizesOf, subjectsOf, table, writeDoc, type SavedSuite } from "./report.js";
import type { Workload } from "./suite.js";

const MEMORY = "edge-kv memory";
const MAP = "Map (awaited)";
const FS_RELAXED = "edge-kv fs (relaxed)";
const FS_DURABLE = "edge-kv fs (durable)";
const IDB = "edge-kv IndexedDB";
const IDB_BASELINE = "idb-keyval keys()+filter";
const SERVER = "edge-kv REST server";
const HTTP_BASELINE = "node:http baseline";

/** Which edge-kv subject a peer is compared with. */
export function counterpart(peer: string): string {
  if (peer.includes("fs")) return FS_RELAXED;
  if (peer.startsWith("idb-keyval")) return IDB;
  return MEMORY;
}

function machineLine(saved: SavedSuite): string {
  const m = saved.machine;
  const completed = Math.max(0, ...saved.results.map(([, values]) => values.length));
  const clock = saved.clock === "wall" ? "wall-clock time" : "CPU time for in-process subjects, wall-clock time for filesystem and Miniflare";
  const load = m.loadAverage ? `, load average ${m.loadAverage.map((l) => l.toFixed(1)).join(" / ")} at the start` : "";
  return `${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB RAM, ${m.platform}, Node ${m.node}${load}; \`${saved.command}\` on ${m.date}; median of ${completed} run(s) (${saved.runs} asked), ${saved.timeMs} ms per steady-state measurement, ${clock}.`;
}

interface Check {
  target: string;
  measured: string;
  met: boolean | null;
}

function checkRatio(saved: SavedSuite | null, a: string, b: string, n: number, w: Workload, min: number, label: string): Check {
  if (!saved || cell(saved, a, n, w).length === 0 || cell(saved, b, n, w).length === 0) return { target: label, measured: "not measured", met: null };
  const r = ratio(saved, a, b, n, w);
  return { target: label, measured: `${formatRatio(r)} (${formatOps(median(cell(saved, a, n, w)))} vs ${formatOps(median(cell(saved, b, n, w)))})`, met: r >= min };
}

/** The targets of issue 14 (performance round 2). */
function currentChecks(ours: SavedSuite | null, peers: SavedSuite | null): Check[] {
  const list: Check[] = [];
  const k100 = 100_000;
  for (const peer of ["unstorage memory", "keyv"]) list.push(checkRatio(peers, MEMORY, peer, k100, "put", 1.2, `memory, 100k: put ≥ 1.2× ${peer}`));
  for (const [suite, label] of [[ours, "bench"], [peers, "bench:peers"]] as const) {
    list.push(checkRatio(suite, MEMORY, MAP, k100, "put", 0.5, `memory, 100k: put ≥ 0.5× an awaited Map, ${label}`));
    list.push(checkRatio(suite, MEMORY, MAP, k100, "get", 0.5, `memory, 100k: get + arrayBuffer() ≥ 0.5× an awaited Map, ${label}`));
    if (suite === ours) list.push(checkRatio(suite, MEMORY, MAP, k100, "getText", 0.5, `memory, 100k: get + text() ≥ 0.5× an awaited Map, ${label}`));
  }
  list.push(checkRatio(ours, IDB, IDB_BASELINE, 10_000, "put", 1, "IndexedDB (fake-indexeddb), 10k: put ≥ 1.0× idb-keyval set"));
  const chromiumPut = ours?.chromium?.["edge-kv put"];
  const keyvalPut = ours?.chromium?.["idb-keyval put"];
  if (chromiumPut?.length && keyvalPut?.length) {
    const r = median(chromiumPut.map((ms, i) => keyvalPut[i]! / ms));
    list.push({ target: "IndexedDB (Chromium): put ≥ 1.0× idb-keyval set", measured: `${formatRatio(r)} (${(median(chromiumPut) * 1000).toFixed(0)} µs vs ${(median(keyvalPut) * 1000).toFixed(0)} µs per put)`, met: r >= 1 });
  } else list.push({ target: "IndexedDB (Chromium): put ≥ 1.0× idb-keyval set", measured: "not measured", met: null });
  const single = ours?.durable?.find((d) => d.writers === 1);
  for (const processes of [1, 4]) {
    const many = ours?.durable?.find((d) => d.writers === 16 && d.processes === processes);
    const label = `fs durable: 16 concurrent writers (${processes === 1 ? "one process" : "4 processes"}) ≥ 5× the writes/s of 1 writer`;
    if (!single?.writesPerSecond.length || !many?.writesPerSecond.length) list.push({ target: label, measured: "not measured", met: null });
    else {
      const r = median(many.writesPerSecond.map((w, i) => w / single.writesPerSecond[i]!));
      list.push({ target: label, measured: `${r.toFixed(1)}× (${formatOps(median(many.writesPerSecond))} vs ${formatOps(median(single.writesPerSecond))} writes/s)`, met: r >= 5 });
    }
  }
  const small = ours?.reset?.find((r) => r.seed === 10);
  const large = ours?.reset?.find((r) => r.seed === 100_000);
  if (small && large) {
    const r = median(large.resetMs) / median(small.resetMs);
    list.push({ target: "per-test reset of a 100k-entry seeded store ≤ 2× a 10-entry one", measured: `${r.toFixed(2)}× (${formatMs(median(large.resetMs))} vs ${formatMs(median(small.resetMs))})`, met: r <= 2 });
  } else list.push({ target: "per-test reset of a 100k-entry seeded store ≤ 2× a 10-entry one", measured: "not measured", met: null });
  for (const w of ["put", "get"] as const) list.push(checkRatio(ours, SERVER, HTTP_BASELINE, 10_000, w, 0.5, `REST ${w} over keep-alive HTTP ≥ 0.5× a bare node:http server sending the same bytes (10k)`));
  if (ours) {
    const at10k = median(cell(ours, MEMORY, 10_000, "listPrefix"));
    const at1m = median(cell(ours, MEMORY, 1_000_000, "listPrefix"));
    const label = "list({prefix, limit: 100}): cost per call grows ≤ 1.5× from 10k to 1M keys";
    list.push(Number.isFinite(at10k) && Number.isFinite(at1m) ? { target: label, measured: `${(at10k / at1m).toFixed(2)}× (${formatOps(at10k)} → ${formatOps(at1m)} lists/s)`, met: at10k / at1m <= 1.5 } : { target: label, measured: "not measured", met: null });
  }
  return list;
}

function formatMs(ms: number): string {
  return ms < 0.1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
}

/** The targets of earlier issues (2–7), kept to show nothing regressed. */
function checks(ours: SavedSuite | null, peers: SavedSuite | null): Check[] {
  const list: Check[] = [];
  const k100 = 100_000;
  for (const peer of ["unstorage memory", "keyv"]) {
    list.push(checkRatio(peers, MEMORY, peer, k100, "put", 1, `memory, 100k: put ≥ 1.0× ${peer}`));
    list.push(checkRatio(peers, MEMORY, peer, k100, "get", 1, `memory, 100k: get + arrayBuffer ≥ 1.0× ${peer}`));
  }
  for (const [suite, label] of [[ours, "bench"], [peers, "bench:peers"]] as const) {
    if (!suite || cell(suite, MAP, k100, "put").length === 0) continue;
    list.push(checkRatio(suite, MEMORY, MAP, k100, "put", 1 / 3, `memory, 100k: put within 3× of an awaited Map (ratio ≥ 0.33), ${label}`));
    list.push(checkRatio(suite, MEMORY, MAP, k100, "get", 1 / 3, `memory, 100k: get + arrayBuffer within 3× of an awaited Map (ratio ≥ 0.33), ${label}`));
  }
  for (const peer of ["unstorage memory", "keyv", "Miniflare KV"]) {
    list.push(checkRatio(peers, MEMORY, peer, peer === "Miniflare KV" ? 10_000 : k100, "listPrefix", 100, `list({prefix, limit: 100}) ≥ 100× ${peer}${peer === "Miniflare KV" ? " (at 10k: see note)" : " at 100k"}`));
  }
  if (ours) {
    const small = median(cell(ours, MEMORY, 10_000, "listPrefix"));
    const large = median(cell(ours, MEMORY, 1_000_000, "listPrefix"));
    if (Number.isFinite(small) && Number.isFinite(large)) {
      const growth = small / large;
      list.push({ target: "list({prefix, limit: 100}) cost per call grows ≤ 2× from 10k to 1M keys", measured: `${growth.toFixed(2)}× (${formatOps(small)} → ${formatOps(large)} lists/s)`, met: growth <= 2 });
    }
  }
  list.push(checkRatio(peers, FS_RELAXED, "unstorage fs", k100, "put", 2, "fs (relaxed), 100k: put ≥ 2× unstorage fs"));
  list.push(checkRatio(peers, FS_RELAXED, "unstorage fs", k100, "get", 2, "fs (relaxed), 100k: get ≥ 2× unstorage fs"));
  list.push(checkRatio(peers, FS_RELAXED, "unstorage fs", k100, "listPrefix", 100, "fs (relaxed), 100k: prefix listing ≥ 100× unstorage fs"));
  const open = ours ? median(cell(ours, FS_RELAXED, k100, "coldOpen")) : Number.NaN;
  list.push(Number.isFinite(open) ? { target: "fs: cold open of a 100k-key store < 1 s", measured: `${open.toFixed(0)} ms`, met: open < 1000 } : { target: "fs: cold open of a 100k-key store < 1 s", measured: "not measured", met: null });
  list.push(checkRatio(peers, IDB, "idb-keyval keys()+filter", k100, "listPrefix", 20, "IndexedDB (fake-indexeddb), 100k: prefix listing ≥ 20× idb-keyval keys() + filter"));
  const mem = ours?.memory?.find((m) => m.subject === MEMORY);
  if (mem) {
    const perKeyOverhead = (mem.delta.rss - 2 * mem.rawBytes) / mem.n;
    list.push({
      target: `memory driver at ${formatSize(mem.n)} keys: RSS ≤ 2 × raw bytes + ${STATED_OVERHEAD} B per key`,
      measured: `RSS +${(mem.delta.rss / 2 ** 20).toFixed(0)} MiB for ${(mem.rawBytes / 2 ** 20).toFixed(0)} MiB raw = 2 × raw + ${perKeyOverhead.toFixed(0)} B/key`,
      met: perKeyOverhead <= STATED_OVERHEAD,
    });
  }
  return list;
}

/** The fixed per-key overhead edge-kv's memory driver claims (see the memory section). */
export const STATED_OVERHEAD = 128;

function peersSection(peers: SavedSuite): string[] {
  const out: string[] = ["## edge-kv side by side with peers (`npm run bench:peers`)", "", machineLine(peers), ""];
  const names = subjectsOf(peers);
  const workloads: Workload[] = ["put", "firstList", "get", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"];
  for (const n of sizesOf(peers)) {
    out.push(`### ${formatSize(n)} keys: ops/s per subject`, "", table(peers, n, names, workloads, null), "");
    // Ratio table: each edge-kv driver against its peers.
    const lines = [`| ratio edge-kv / peer, ${formatSize(n)} keys | ${workloads.map((w) => w).join(" | ")} |`, `|---|${workloads.map(() => "---:").join("|")}|`];
    for (const peer of names.filter((s) => !s.startsWith("edge-kv"))) {
      const mine = counterpart(peer);
      const cells = workloads.map((w) => (cell(peers, mine, n, w).length && cell(peers, peer, n, w).length ? formatRatio(ratio(peers, mine, peer, n, w)) : ""));
      if (cells.every((c) => c === "")) continue;
      lines.push(`| ${mine} / ${peer} | ${cells.join(" | ")} |`);
    }
    out.push(`### ${formatSize(n)} keys: edge-kv / peer (same run; > 1 = edge-kv faster)`, "", ...lines, "");
  }
  out.push("![edge-kv and peers at 100k keys](benchmarks-peers.svg)", "");
  return out;
}

function oursSection(ours: SavedSuite): string[] {
  const out: string[] = ["## edge-kv's drivers (`npm run bench`)", "", machineLine(ours), ""];
  const names = subjectsOf(ours);
  const sizes = sizesOf(ours);
  out.push("### Memory driver against an awaited `Map` (issue 2)", "");
  for (const n of sizes) {
    out.push(table(ours, n, names.filter((s) => [MAP, "Map + sorted array", MEMORY].includes(s)), ["put", "firstList", "get", "getText", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"], MAP), "");
  }
  if (names.some((s) => s.startsWith("edge-kv fs"))) {
    out.push(
      "### Filesystem driver against the memory driver (issue 3)",
      "",
      "Filesystem rows are wall-clock time (they wait on the disk), the memory row CPU time, so the ratios slightly favour memory. Durable puts are timed over their first ~4 s of writes into an empty store (one `fdatasync` each); get and list do not depend on durability.",
      "",
    );
    for (const n of sizes.filter((s) => cell(ours, FS_RELAXED, s, "put").length || cell(ours, FS_DURABLE, s, "put").length)) {
      out.push(table(ours, n, [MEMORY, FS_DURABLE, FS_RELAXED].filter((s) => names.includes(s)), ["put", "get", "listPrefix", "listAll", "mixed", "coldOpen"], MEMORY), "");
    }
  }
  if (names.includes(IDB)) {
    out.push("### IndexedDB driver (fake-indexeddb) against idb-keyval `keys()` + filter (issue 4)", "");
    for (const n of sizes.filter((s) => cell(ours, IDB, s, "put").length)) out.push(table(ours, n, [IDB, IDB_BASELINE], ["put", "get", "listPrefix"], IDB_BASELINE), "");
  }
  if (names.includes(SERVER)) {
    out.push(
      "### REST server on loopback against in-process calls (issue 6)",
      "",
      "Fastly dialect (`PUT`/`GET /resources/stores/kv/{id}/keys/{key}`, `GET …/keys?prefix&limit=100`) over a memory store, one request at a time through a keep-alive node:http agent; CPU time of client and server together (both in the process).",
      "",
    );
    for (const n of sizes.filter((s) => cell(ours, SERVER, s, "put").length)) {
      out.push(table(ours, n, [MEMORY, SERVER], ["put", "get", "listPrefix"], MEMORY), "");
      out.push(table(ours, n, [HTTP_BASELINE, SERVER], ["put", "get"], HTTP_BASELINE), "");
    }
    out.push(
      `The **${HTTP_BASELINE}** row is a bare \`node:http\` server answering the same requests with the same status, headers and body bytes from a Map (no routing, checks or store): the floor a REST server in Node can reach, measured with the same client in the same run.`,
      "",
    );
  }
  if (ours.reset?.length) {
    out.push(
      "### Per-test reset (`createTestKv`, `await kv.reset()`)",
      "",
      "A store seeded with n 100-byte values; each \"test\" overwrites two keys (one by append), adds one and deletes one, then `kv.reset()` is timed (CPU time, median of 15 per run, median over runs). The memory driver's copy-on-write snapshot puts back only what the test changed; the first seeding is shown for comparison.",
      "",
      "| seed entries | first seeding (`ready()`) | reset |",
      "|---:|---:|---:|",
      ...ours.reset.map((r) => `| ${r.seed.toLocaleString("en-US")} | ${formatMs(median(r.firstMs))} | ${formatMs(median(r.resetMs))} |`),
      "",
    );
  }
  if (ours.durable?.length) {
    const single = ours.durable.find((d) => d.writers === 1);
    out.push(
      "### Durable filesystem writes from concurrent writers (group commit)",
      "",
      "Writers loop `await store.put(ownKey, 100 bytes)` on one `durability: \"durable\"` store for 3 s of wall-clock time; every resolved put is on the disk. Concurrent writers share a flush (fdatasync); across processes the lock is not held while a writer waits for its flush.",
      "",
      "| writers | processes | writes/s | vs 1 writer |",
      "|---:|---:|---:|---:|",
      ...ours.durable.map((d) => {
        const r = single ? median(d.writesPerSecond.map((w, i) => w / single.writesPerSecond[i]!)) : Number.NaN;
        return `| ${d.writers} | ${d.processes} | ${formatOps(median(d.writesPerSecond))} | ${Number.isFinite(r) ? `${r.toFixed(1)}×` : ""} |`;
      }),
      "",
    );
  }
  if (ours.chromium) {
    const c = ours.chromium;
    const row = (op: string) => {
      const mine = c[`edge-kv ${op}`] ?? [];
      const theirs = c[`idb-keyval ${op}`] ?? [];
      const r = median(mine.map((ms, i) => theirs[i]! / ms));
      return `| ${op} | ${(median(mine) * 1000).toFixed(0)} µs | ${(median(theirs) * 1000).toFixed(0)} µs | ${formatRatio(r)} |`;
    };
    out.push(
      "### IndexedDB in Chromium (`node --import tsx bench/idb-chromium.ts`)",
      "",
      "Debian's Chromium (headless, through playwright), a page served from loopback; 500 sequential puts of fresh keys, then 500 gets (`get` + `arrayBuffer()`), per round, edge-kv (KVStore on IndexedDBDriver) and idb-keyval (`set`/`get`) in the same page one after the other; wall-clock ms per operation, median over rounds.",
      "",
      "| operation | edge-kv | idb-keyval | edge-kv / idb-keyval (throughput) |",
      "|---|---:|---:|---:|",
      row("put"),
      row("get"),
      "",
    );
  }
  out.push("![edge-kv's drivers at 100k keys](benchmarks-drivers.svg)", "");
  if (ours.memory?.length) {
    out.push("### Resident memory", "", `Fresh process per row; \`process.memoryUsage()\` after a full GC, before and after filling. ~30-byte keys, 100-byte values.`, "");
    out.push("| subject | keys | raw bytes (keys + values) | RSS growth | heap growth | ArrayBuffers growth | RSS per key | RSS / raw |", "|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const m of ours.memory) {
      const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
      out.push(`| ${m.subject} | ${formatSize(m.n)} | ${mib(m.rawBytes)} | ${mib(m.delta.rss)} | ${mib(m.delta.heapUsed)} | ${mib(m.delta.arrayBuffers)} | ${(m.delta.rss / m.n).toFixed(0)} B | ${(m.delta.rss / m.rawBytes).toFixed(2)}× |`);
    }
    out.push("");
  }
  return out;
}

function chart(saved: SavedSuite, n: number, file: string, title: string, workloads: Workload[]): void {
  const names = subjectsOf(saved);
  const groups = workloads
    .map((w) => ({ label: w, bars: names.map((name) => ({ name, value: median(cell(saved, name, n, w)) })).filter((b) => Number.isFinite(b.value)) }))
    .filter((g) => g.bars.length > 0);
  if (groups.length === 0) return;
  writeDoc(file, barChart(title, groups, colorsFor(names)));
}

export function renderDocs(): void {
  const ours = loadSuite("ours");
  const peers = loadSuite("peers");
  const out: string[] = [
    "# Benchmarks",
    "",
    "Generated by `npm run bench` (edge-kv's drivers) and `npm run bench:peers` (side by side with peers); the analysis",
    "at the end is written by hand (`bench/analysis.md`). Every ratio compares two subjects measured in the same process",
    "run, one after the other, and is the median of the per-run ratios. Workloads: ~30-byte keys",
    "(`p07/session/0000123456/profile`), 100-byte values, prefixes `pNN/` matching 1 % of the keys; steady-state",
    "figures are tinybench medians of ~0.5 ms batches, whole-phase figures (sequential put, cold open) are timed once per run.",
    "Everything runs through each subject's public API (edge-kv: `new KVStore(name)` on a `KVRegistry`).",
    "",
    "```sh",
    "npm run bench                                   # edge-kv drivers: 10k, 100k, 1M keys (1M: memory only), ~4 min",
    "cd bench/peers && npm install --no-audit --no-fund && cd ../..   # once: the peers' own package",
    "npm run bench:peers                             # side by side with peers: 10k and 100k keys, ~6-8 min",
    "npm run bench -- --quick                        # one run at 10k keys: a smoke test of the harness",
    "node --import tsx bench/profile.ts get          # where a KVStore operation spends its time (get, put, insert, list, listAll)",
    "node --import tsx bench/quick.ts                # A/B helper: edge-kv memory vs an awaited Map (--pair rest: REST vs bare node:http)",
    "node --import tsx bench/quick.ts --floor        # adds the API floor: a Map of bytes doing only what Compute's API demands",
    "node --import tsx bench/idb-chromium.ts         # IndexedDB driver vs idb-keyval in Chromium (also part of npm run bench)",
    "```",
    "",
    "## Targets (issue 14)",
    "",
    "| target | measured | met |",
    "|---|---|:-:|",
    ...currentChecks(ours, peers).map((c) => `| ${c.target} | ${c.measured} | ${c.met === null ? "—" : c.met ? "yes" : "**no**"} |`),
    "",
    "## Earlier targets (issues 2–7)",
    "",
    "| target | measured | met |",
    "|---|---|:-:|",
    ...checks(ours, peers).map((c) => `| ${c.target} | ${c.measured} | ${c.met === null ? "—" : c.met ? "yes" : "**no**"} |`),
    "",
  ];
  if (peers) out.push(...peersSection(peers));
  if (ours) out.push(...oursSection(ours));
  const analysis = join(ROOT, "bench/analysis.md");
  if (existsSync(analysis)) out.push(readFileSync(analysis, "utf8").trim(), "");
  const notes = [...(ours?.notes ?? []), ...(peers?.notes ?? [])];
  if (notes.length) out.push("## Run notes", "", ...notes.map((n) => `- ${n}`), "");
  writeDoc("docs/benchmarks.md", out.join("\n"));
  if (peers) chart(peers, sizesOf(peers).includes(100_000) ? 100_000 : sizesOf(peers)[0]!, "docs/benchmarks-peers.svg", "edge-kv vs peers, ops/s (log scale), 100k keys", ["put", "get", "listPrefix", "listAll", "mixed"]);
  if (ours) chart(ours, sizesOf(ours).includes(100_000) ? 100_000 : sizesOf(ours)[0]!, "docs/benchmarks-drivers.svg", "edge-kv drivers and baselines, ops/s (log scale), 100k keys", ["put", "get", "listPrefix", "listAll", "mixed"]);
}
