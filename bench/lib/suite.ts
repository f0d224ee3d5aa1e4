/**
 * The workloads of issue 7, run against a list of subjects at several store sizes, several times.
 * Keys are ~30 bytes (`p07/session/0000123456/profile`), values 100 bytes; the prefix `pNN/`
 * matches exactly 1 % of the keys. Every subject of a run sees the same keys in the same order.
 */
import { clockNow, gc, median, opsPerSecond, randomInts, timeOnce, useClock, type ClockKind, type MeasureOptions } from "./harness.js";
import type { Handle, Subject } from "./subjects.js";

export const WORKLOADS = {
  put: "sequential put (ops/s)",
  get: "get + arrayBuffer() (ops/s)",
  getText: "get + text() (ops/s)",
  listPrefix: "list({prefix, limit: 100}), prefix = 1 % (lists/s)",
  listAll: "full paginated listing (listings/s)",
  mixed: "mixed 90 % get / 10 % put (ops/s)",
  append: "append 100 B to one hot key (ops/s)",
  put1MiB: "put a 1 MiB value (ops/s)",
  get1MiB: "get a 1 MiB value + arrayBuffer() (ops/s)",
  coldOpen: "cold open + first get + first list (ms)",
  firstList: "first list({prefix, limit: 100}) after the sequential puts (ms)",
} as const;
export type Workload = keyof typeof WORKLOADS;
/** Workloads measured in ms (lower is better); the others in operations per second. */
export const MS_WORKLOADS: readonly Workload[] = ["coldOpen", "firstList"];

export const VALUE = "v".repeat(100);
const VALUE2 = "w".repeat(100);
const CHUNK = "a".repeat(100);
const MIB = new Uint8Array(1024 * 1024).fill(7);

export function makeKey(i: number): string {
  return `p${String(i % 100).padStart(2, "0")}/session/${String(i).padStart(10, "0")}/profile`;
}

export function makeKeys(n: number): string[] {
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = makeKey(i);
  return keys;
}

export interface SuiteOptions extends MeasureOptions {
  /** Clock for subjects that do not require the wall clock. */
  clock: ClockKind;
  subjects: Subject[];
  sizes: number[];
  runs: number;
  /** Workloads to run at a size (all by default). */
  workloadsAt?: (n: number, subject: Subject) => Workload[];
  log?: (line: string) => void;
}

/** results.get(`${subject}|${n}|${workload}`) = one value per run. */
export type Results = Map<string, number[]>;

export const resultKey = (subject: string, n: number, workload: Workload) => `${subject}|${n}|${workload}`;

export async function runSuite(options: SuiteOptions): Promise<Results> {
  const results: Results = new Map();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const keys = makeKeys(Math.max(...options.sizes));
  const record = (subject: string, n: number, workload: Workload, value: number) => {
    const key = resultKey(subject, n, workload);
    if (!results.has(key)) results.set(key, []);
    results.get(key)!.push(value);
  };
  for (let run = 0; run < options.runs; run++) {
    for (const n of options.sizes) {
      for (const subject of options.subjects) {
        if (subject.maxKeys !== undefined && n > subject.maxKeys) continue;
        const workloads = options.workloadsAt?.(n, subject) ?? (Object.keys(WORKLOADS) as Workload[]);
        gc();
        const started = performance.now();
        useClock(subject.clock ?? options.clock);
        const measured = await runSubject(subject, n, keys, workloads, options, run);
        for (const [workload, value] of measured) record(subject.name, n, workload, value);
        log(`run ${run + 1}/${options.runs}  n=${n}  ${subject.name}: ${[...measured].map(([w, v]) => `${w}=${v.toFixed(MS_WORKLOADS.includes(w) ? 1 : 0)}`).join(" ")}  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
      }
    }
  }
  return results;
}

async function runSubject(subject: Subject, n: number, keys: string[], workloads: Workload[], options: MeasureOptions, run: number) {
  const measured = new Map<Workload, number>();
  if (subject.warmUp !== false) await warmUp(subject, keys, Math.min(n, 5000));
  let handle: Handle = await subject.open();
  try {
    // Sequential put of n fresh keys: the population step, timed as a whole.
    const budget = subject.putBudgetMs ?? Number.POSITIVE_INFINITY;
    const wallStart = performance.now();
    const start = clockNow();
    let done = 0;
    while (done < n) {
      await handle.put(keys[done]!, VALUE);
      done++;
      if ((done & 255) === 0 && performance.now() - wallStart > budget) break;
    }
    const putMs = clockNow() - start;
    if (workloads.includes("put")) measured.set("put", (done * 1000) / putMs);
    const putOnly = workloads.every((w) => w === "put");
    if (done < n && !putOnly) {
      if (handle.fill) await handle.fill(keys.slice(0, n), done, VALUE);
      else for (; done < n; done++) await handle.put(keys[done]!, VALUE);
      done = n;
    }
    await sanityCheck(handle, subject, keys, done);
    if (workloads.includes("listPrefix")) {
      // Stores that order new keys lazily (edge-kv memory, the sorted-array limit) pay for it at the
      // first list: timed on its own, so the steady-state list figure below is not skewed by it.
      const firstListMs = await timeOnce(() => handle.listPrefix("p00/", 100));
      if (workloads.includes("put")) measured.set("firstList", firstListMs);
    }

    const random = randomInts(0x9e3779b9 ^ (run + 1) ^ n);
    const perPrefix = Math.min(100, Math.floor(n / 100));
    for (const workload of workloads) {
      gc();
      switch (workload) {
        case "put":
        case "firstList":
          break;
        case "get":
          measured.set(workload, await opsPerSecond(() => handle.get(keys[random(n)]!), options));
          break;
        case "getText":
          if (handle.getText) measured.set(workload, await opsPerSecond(() => handle.getText!(keys[random(n)]!), options));
          break;
        case "listPrefix":
          measured.set(
            workload,
            await opsPerSecond(async () => {
              const prefix = `p${String(random(100)).padStart(2, "0")}/`;
              const count = await handle.listPrefix(prefix, 100);
              if (count !== perPrefix) throw new Error(`${subject.name}: list(${prefix}) returned ${count} keys, expected ${perPrefix}`);
            }, options),
          );
          break;
        case "listAll":
          measured.set(
            workload,
            await opsPerSecond(async () => {
              const count = await handle.listAll();
              if (count < n) throw new Error(`${subject.name}: full listing returned ${count} keys, expected at least ${n}`);
            }, options),
          );
          break;
        case "mixed":
          measured.set(
            workload,
            await opsPerSecond((i) => (i % 10 === 9 ? handle.put(keys[random(n)]!, VALUE2) : handle.get(keys[random(n)]!)), options),
          );
          break;
        case "append":
          measured.set(workload, await opsPerSecond((i) => (i % 1000 === 0 ? handle.put("hot/append", CHUNK) : handle.append("hot/append", CHUNK)), options));
          break;
        case "put1MiB":
          measured.set(workload, await opsPerSecond((i) => handle.putBytes(`big/${i % 4}`, MIB), options));
          break;
        case "get1MiB":
          for (let i = 0; i < 4; i++) await handle.putBytes(`big/${i}`, MIB);
          measured.set(workload, await opsPerSecond((i) => handle.getBytes(`big/${i % 4}`), options));
          break;
        case "coldOpen":
          if (handle.reopen) {
            const times: number[] = [];
            for (let i = 0; i < 3; i++) {
              let reopened: Handle | undefined;
              times.push(
                await timeOnce(async () => {
                  reopened = await handle.reopen!();
                  await reopened.get(keys[n - 1]!);
                  await reopened.listPrefix("p00/", 100);
                }),
              );
              handle = reopened!;
            }
            measured.set(workload, median(times));
          }
          break;
      }
    }
  } finally {
    await handle.close();
  }
  return measured;
}

/** Runs the subject's code paths once on a scratch store (bounded to ~1 s), so the timed put phase does not measure JIT warm-up. */
async function warmUp(subject: Subject, keys: string[], count: number): Promise<void> {
  const scratch = await subject.open();
  try {
    const started = performance.now();
    let i = 0;
    for (; i < count && performance.now() - started < 1000; i++) await scratch.put(keys[i]!, VALUE);
    for (let k = 0; k < i && performance.now() - started < 1500; k++) await scratch.get(keys[k]!);
    const lists = subject.workloads === undefined || subject.workloads.includes("listPrefix");
    for (let k = 0; lists && k < 20 && performance.now() - started < 2000; k++) await scratch.listPrefix(`p${String(k).padStart(2, "0")}/`, 100);
  } finally {
    await scratch.close();
  }
}

async function sanityCheck(handle: Handle, subject: Subject, keys: string[], n: number): Promise<void> {
  const value = await handle.get(keys[n - 1]!);
  const length =
    typeof value === "string" ? value.length : value instanceof ArrayBuffer ? value.byteLength : ArrayBuffer.isView(value) ? value.byteLength : -1;
  if (length !== VALUE.length) throw new Error(`${subject.name}: get(${keys[n - 1]}) after the put phase returned ${String(value)?.slice(0, 40)} (length ${length}), expected 100 bytes`);
}
