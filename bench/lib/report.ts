/**
 * Turns saved results (bench/results/*.json) into docs/benchmarks.md and its SVG charts. Both
 * `npm run bench` and `npm run bench:peers` call it, so the page always shows the latest of each.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./build.js";
import { formatOps, formatRatio, median } from "./harness.js";
import type { Machine } from "./orchestrate.js";
import { MS_WORKLOADS, WORKLOADS, type Workload } from "./suite.js";

export interface SavedSuite {
  suite: "ours" | "peers";
  command: string;
  machine: Machine;
  runs: number;
  timeMs: number;
  clock?: string;
  /** [`subject|n|workload`, one value per run][] */
  results: [string, number[]][];
  memory?: MemoryResult[];
  /** Per-test reset (bench/reset-worker.ts): per seed size, one value per run. */
  reset?: { seed: number; firstMs: number[]; resetMs: number[] }[];
  /** Durable fs writes from concurrent writers (bench/durable-worker.ts): one value per run. */
  durable?: { writers: number; processes: number; writesPerSecond: number[] }[];
  /** IndexedDB in Chromium (bench/idb-chromium.ts): ms per operation, one value per round. */
  chromium?: Record<string, number[]>;
  notes?: string[];
}

export interface MemoryResult {
  subject: string;
  n: number;
  rawBytes: number;
  delta: { rss: number; heapUsed: number; external: number; arrayBuffers: number };
}

export const RESULTS_DIR = join(ROOT, "bench/results");

export function saveSuite(saved: SavedSuite): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(join(RESULTS_DIR, `${saved.suite}.json`), `${JSON.stringify(saved, null, 1)}\n`);
}

export function loadSuite(suite: "ours" | "peers"): SavedSuite | null {
  const file = join(RESULTS_DIR, `${suite}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as SavedSuite) : null;
}

/** Per-run values of one cell. */
export function cell(saved: SavedSuite, subject: string, n: number, workload: Workload): number[] {
  return saved.results.find(([key]) => key === `${subject}|${n}|${workload}`)?.[1] ?? [];
}

/** Median over runs of the per-run ratio a/b (higher = a faster; for ms workloads pass invert). */
export function ratio(saved: SavedSuite, a: string, b: string, n: number, workload: Workload): number {
  const left = cell(saved, a, n, workload);
  const right = cell(saved, b, n, workload);
  const per: number[] = [];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    per.push(MS_WORKLOADS.includes(workload) ? right[i]! / left[i]! : left[i]! / right[i]!);
  }
  return median(per);
}

export function subjectsOf(saved: SavedSuite): string[] {
  const names: string[] = [];
  for (const [key] of saved.results) {
    const name = key.split("|")[0]!;
    if (!names.includes(name)) names.push(name);
  }
  return names;
}

export function sizesOf(saved: SavedSuite): number[] {
  return [...new Set(saved.results.map(([key]) => Number(key.split("|")[1])))].sort((a, b) => a - b);
}

export function formatSize(n: number): string {
  return n >= 1e6 ? `${n / 1e6}M` : `${n / 1e3}k`;
}

function formatValue(workload: Workload, values: number[]): string {
  const m = median(values);
  if (!Number.isFinite(m)) return "—";
  return MS_WORKLOADS.includes(workload) ? `${m.toFixed(m < 10 ? 2 : 0)} ms` : formatOps(m);
}

/** One table: a row per subject, a column per workload, each cell "ops/s (ratio)". */
export function table(saved: SavedSuite, n: number, subjects: string[], workloads: Workload[], reference: string | null, ratioLabel?: string): string {
  const present = workloads.filter((w) => subjects.some((s) => cell(saved, s, n, w).length > 0));
  const lines = [
    `| ${formatSize(n)} keys | ${present.map((w) => WORKLOADS[w]).join(" | ")} |`,
    `|---|${present.map(() => "---:").join("|")}|`,
  ];
  for (const subject of subjects) {
    const cells = present.map((w) => {
      const values = cell(saved, subject, n, w);
      if (values.length === 0) return "";
      const text = formatValue(w, values);
      if (reference === null || subject === reference || cell(saved, reference, n, w).length === 0) return text;
      return `${text} (${formatRatio(ratio(saved, subject, reference, n, w))})`;
    });
    if (cells.every((c) => c === "")) continue;
    lines.push(`| ${subject} | ${cells.join(" | ")} |`);
  }
  if (reference !== null) lines.push("", `Ratios in parentheses: ${ratioLabel ?? `the row divided by **${reference}**`}, computed within each run, median over runs (higher = faster).`);
  return lines.join("\n");
}

/** Horizontal bar chart (log scale) of ops/s: one group per workload, one bar per subject. */
export function barChart(title: string, groups: { label: string; bars: { name: string; value: number }[] }[], colors: Map<string, string>): string {
  const width = 960;
  const left = 250;
  const barHeight = 14;
  const gap = 4;
  const groupGap = 22;
  const right = 90;
  const values = groups.flatMap((g) => g.bars.map((b) => b.value)).filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const scale = (v: number) => ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * (width - left - right);
  let y = 48;
  const parts: string[] = [];
  for (const group of groups) {
    parts.push(`<text x="10" y="${y + 10}" font-weight="bold">${escape(group.label)}</text>`);
    y += 16;
    for (const bar of group.bars) {
      if (!Number.isFinite(bar.value) || bar.value <= 0) continue;
      const w = Math.max(1, scale(bar.value));
      parts.push(`<text x="${left - 6}" y="${y + barHeight - 3}" text-anchor="end">${escape(bar.name)}</text>`);
      parts.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${barHeight}" fill="${colors.get(bar.name) ?? "#888"}"/>`);
      parts.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + barHeight - 3}">${escape(formatOps(bar.value))}</text>`);
      y += barHeight + gap;
    }
    y += groupGap - gap;
  }
  const axis: string[] = [];
  for (let p = lo; p <= hi; p++) {
    const x = left + scale(10 ** p);
    axis.push(`<line x1="${x.toFixed(1)}" y1="40" x2="${x.toFixed(1)}" y2="${y - 10}" stroke="#ddd"/>`);
    axis.push(`<text x="${x.toFixed(1)}" y="${y + 4}" text-anchor="middle" fill="#666">${formatOps(10 ** p)}</text>`);
  }
  const height = y + 16;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>`,
    ...axis,
    ...parts,
    `</svg>`,
    "",
  ].join("\n");
}

const PALETTE = ["#1f6feb", "#2da44e", "#bf8700", "#8250df", "#cf222e", "#0a7ea4", "#e16f24", "#6e7781", "#d63384", "#3fb950", "#57606a", "#9a6700"];

export function colorsFor(names: string[]): Map<string, string> {
  const colors = new Map<string, string>();
  names.forEach((name, i) => colors.set(name, name.startsWith("edge-kv") ? ["#1f6feb", "#0550ae", "#54aeff", "#033d8b", "#218bff"][colors.size % 5]! : PALETTE[(i + 3) % PALETTE.length]!));
  return colors;
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function writeDoc(path: string, text: string): void {
  writeFileSync(join(ROOT, path), text);
}
