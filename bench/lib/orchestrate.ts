/**
 * Runs bundled worker scripts in fresh Node processes (one per run and store size, so every
 * measurement starts from a clean heap), each under a hard time limit, and merges their results.
 */
import { spawn } from "node:child_process";
import { cpus, loadavg, totalmem } from "node:os";
import type { Results } from "./suite.js";

export interface WorkerRun {
  script: string;
  args: string[];
  /** The child is killed after this long; its results are then missing (reported as such). */
  timeoutMs: number;
  cwd?: string;
}

/** Runs one worker; resolves its parsed JSON line, or null after a failure or timeout (reason on stderr). */
export function runWorker(run: WorkerRun): Promise<Record<string, unknown> | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", "--max-old-space-size=4096", run.script, ...run.args], {
      cwd: run.cwd,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => (stdout += chunk));
    const timer = setTimeout(() => {
      process.stderr.write(`  ! ${run.args.join(" ")}: stopped after ${run.timeoutMs / 1000} s (time limit)\n`);
      child.kill("SIGKILL");
    }, run.timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      const line = stdout.trim().split("\n").pop();
      if (code !== 0 || !line) {
        process.stderr.write(`  ! ${run.args.join(" ")}: worker exited with code ${code}\n`);
        resolve(null);
        return;
      }
      try {
        resolve(JSON.parse(line) as Record<string, unknown>);
      } catch {
        process.stderr.write(`  ! ${run.args.join(" ")}: unreadable worker output\n`);
        resolve(null);
      }
    });
  });
}

/**
 * Runs `worker` once per run and store size (runs outermost), within `budgetMs` counted from `started`;
 * merges what the workers report. `skipped` says which runs were not measured, and why.
 */
export async function runSuite(options: {
  worker: string;
  runs: number;
  sizes: number[];
  timeMs: number;
  clock: string;
  started: number;
  budgetMs: number;
  timeoutMs: number;
  cwd?: string;
}): Promise<{ results: Results; skipped: string[] }> {
  const results: Results = new Map();
  const skipped: string[] = [];
  for (let run = 0; run < options.runs; run++) {
    for (const size of options.sizes) {
      if (Date.now() - options.started > options.budgetMs) {
        skipped.push(`run ${run + 1} at ${size} keys (time budget spent)`);
        continue;
      }
      process.stderr.write(`run ${run + 1}/${options.runs}, ${size} keys\n`);
      const out = await runWorker({
        script: options.worker,
        args: ["--size", String(size), "--run", String(run), "--time", String(options.timeMs), "--clock", options.clock],
        timeoutMs: options.timeoutMs,
        ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
      });
      if (out) mergeResults(results, out.results as [string, number[]][]);
      else skipped.push(`run ${run + 1} at ${size} keys (worker failed or timed out)`);
    }
  }
  return { results, skipped };
}

export function mergeResults(into: Results, entries: [string, number[]][]): void {
  for (const [key, values] of entries) {
    if (!into.has(key)) into.set(key, []);
    into.get(key)!.push(...values);
  }
}

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  platform: string;
  date: string;
  /** 1, 5 and 15 minute load averages when the command started (others' work on a shared machine). */
  loadAverage?: number[];
}

export function machine(): Machine {
  const list = cpus();
  return {
    cpus: list.length,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    loadAverage: loadavg(),
  };
}
