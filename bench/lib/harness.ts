/**
 * Measurement primitives shared by `npm run bench` and `npm run bench:peers`.
 *
 * - Steady-state workloads (get, list, mixed, append, 1 MiB) run through tinybench. One tinybench
 *   iteration is a *batch* of operations sized so a batch takes about half a millisecond: timing
 *   every single 1 µs operation would measure the timer, not the store. ops/s = batch / median batch time.
 * - Whole-phase workloads (sequential put of N keys, a full listing, a cold open) are timed once per
 *   run with performance.now().
 * - Every figure is the median over several runs (`--runs`), and every ratio is computed inside one
 *   run (both sides measured in the same process, one after the other) before taking the median.
 */
import { Bench } from "tinybench";

/**
 * The clock every measurement reads, in ms. "cpu" = CPU time of this process (user + system, all
 * threads): on a shared machine other processes' load inflates wall time several-fold but barely
 * moves CPU time, so in-process subjects are compared on CPU time by default. Subjects that wait on
 * I/O or on another process (filesystem, HTTP, Miniflare's workerd) are always timed on the wall clock.
 */
export type ClockKind = "cpu" | "wall";
const clocks: Record<ClockKind, () => number> = {
  wall: () => performance.now(),
  cpu: () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};
let now = clocks.wall;
export function useClock(kind: ClockKind): void {
  now = clocks[kind];
}
/** The current reading of the clock in use, ms. */
export function clockNow(): number {
  return now();
}

export interface MeasureOptions {
  /** tinybench time budget per task, ms. */
  timeMs: number;
  /** tinybench warm-up budget per task, ms. */
  warmupMs: number;
}

/** Steady-state throughput of `op` in operations per second (median batch). */
export async function opsPerSecond(op: (i: number) => unknown, options: MeasureOptions): Promise<number> {
  let counter = 0;
  // Calibrate: how many operations make a ~0.5 ms batch (1..1000), bounded in time.
  const calibrationStart = performance.now();
  const calibrationClock = now();
  let calibrated = 0;
  while (calibrated < 1000 && performance.now() - calibrationStart < 50) {
    await op(counter++);
    calibrated++;
  }
  const perOpMs = Math.max(now() - calibrationClock, 1e-3) / calibrated;
  // Slow operations (full listings of slow peers): the calibration runs are the measurement.
  if (perOpMs > 25) {
    const times = [perOpMs];
    // Up to two more, while a single call stays under a second (bounded run time).
    for (let k = 0; k < 2 && perOpMs < 1000; k++) times.push(await timeOnce(() => op(counter++)));
    return 1000 / median(times);
  }
  const batch = Math.max(1, Math.min(1000, Math.round(0.5 / Math.max(perOpMs, 1e-6))));
  if (process.env.BENCH_DEBUG) process.stderr.write(`batch ${batch} perOp ${perOpMs}\n`);
  const bench = new Bench({ time: options.timeMs, warmupTime: options.warmupMs, iterations: 5, warmupIterations: 2, now: () => now() });
  bench.add("batch", async () => {
    for (let k = 0; k < batch; k++) await op(counter++);
  });
  await bench.run();
  const task = bench.tasks[0]!;
  const result = task.result as { latency?: { p50: number }; error?: unknown } | undefined;
  if (result && "error" in result && result.error) throw result.error;
  if (!result?.latency) throw new Error(`tinybench returned no latency for a batch of ${batch}`);
  return (batch * 1000) / result.latency.p50;
}

/** Wall time of `run` in milliseconds. */
export async function timeOnce(run: () => Promise<unknown> | unknown): Promise<number> {
  const start = now();
  await run();
  return now() - start;
}

export function median(values: number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return Number.NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect) {
    collect();
    collect();
  }
}

/** Deterministic pseudo-random integers (xorshift32), so every subject sees the same key sequence. */
export function randomInts(seed: number): (below: number) => number {
  let state = seed >>> 0 || 1;
  return (below) => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state % below;
  };
}

export function formatOps(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)} k`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  if (value >= 10) return value.toFixed(0);
  return value.toFixed(2);
}

export function formatRatio(value: number): string {
  if (!Number.isFinite(value)) return "—";
  if (value >= 100) return `${value.toFixed(0)}×`;
  if (value >= 10) return `${value.toFixed(1)}×`;
  if (value >= 0.1) return `${value.toFixed(2)}×`;
  return `${value.toPrecision(2)}×`;
}

/** Parses `--name value` and `--flag` arguments. */
export function parseArgs(argv: string[]): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) continue;
    const [name, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    if (inline !== undefined) args.set(name, inline);
    else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("--")) args.set(name, argv[++i]!);
    else args.set(name, "true");
  }
  return args;
}
