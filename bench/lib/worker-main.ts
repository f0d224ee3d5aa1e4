/**
 * The body of a benchmark worker process: runs the suite for one store size and one run over the
 * subjects it is given, and prints the results as one JSON line on stdout (progress goes to stderr).
 */
import { parseArgs, type ClockKind } from "./harness.js";
import { runSuite, type Workload } from "./suite.js";
import type { Subject } from "./subjects.js";

export interface WorkerPlan {
  subjects: Subject[];
  workloadsAt?: (n: number, subject: Subject) => Workload[];
}

export async function workerMain(plan: (n: number) => Promise<WorkerPlan> | WorkerPlan): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const n = Number(args.get("size"));
  const run = Number(args.get("run") ?? "0");
  const timeMs = Number(args.get("time") ?? "200");
  const warmupMs = Number(args.get("warmup") ?? "50");
  const only = args.get("subjects")?.split(",");
  const clock = (args.get("clock") ?? "cpu") as ClockKind;
  if (clock !== "cpu" && clock !== "wall") throw new Error(`bench worker: --clock must be cpu or wall, got ${clock}`);
  if (!Number.isInteger(n) || n < 100) throw new Error(`bench worker: --size must be an integer >= 100, got ${args.get("size")}`);
  const { subjects, workloadsAt } = await plan(n);
  const chosen = (only ? subjects.filter((s) => only.includes(s.name)) : subjects).filter(
    (s) => s.onlyFirstRuns === undefined || run < s.onlyFirstRuns,
  );
  const results = await runSuite({
    subjects: chosen,
    sizes: [n],
    runs: 1,
    timeMs,
    warmupMs,
    clock,
    workloadsAt,
    log: (line) => process.stderr.write(`  ${line.replace("run 1/1", `run ${run + 1}`)}\n`),
  });
  process.stdout.write(`${JSON.stringify({ results: [...results] })}\n`);
}
