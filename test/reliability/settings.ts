/**
 * How hard the reliability suites push. `npm test` runs them with a fixed seed and small counts (a
 * few seconds, same sequences every time); `npm run test:soak` sets EDGE_KV_SOAK=1, which multiplies
 * the counts, picks a random seed (or EDGE_KV_SEED to replay one) and prints it with what was run.
 */
import fc from "fast-check";

const env: Record<string, string | undefined> = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};

export const SOAK = env.EDGE_KV_SOAK === "1";
/** Soak runs multiply every run count by this (EDGE_KV_SOAK_FACTOR, default 50). */
export const SOAK_FACTOR = Number(env.EDGE_KV_SOAK_FACTOR ?? 50);
/** Fixed seed of the default run; a soak run uses EDGE_KV_SEED or a random one. */
export const FIXED_SEED = 20261123;
export const SEED = env.EDGE_KV_SEED !== undefined ? Number(env.EDGE_KV_SEED) : SOAK ? (Math.random() * 2 ** 31) | 0 : FIXED_SEED;
/** Print what was run (counts, seed) even outside a soak: EDGE_KV_REPORT=1. */
export const REPORT = SOAK || env.EDGE_KV_REPORT === "1";

export function runs(base: number): number {
  return SOAK ? Math.max(base, Math.round(base * SOAK_FACTOR)) : base;
}

/** Counts of what the suites ran, printed at the end of a soak (and recorded in docs/reliability.md). */
export const tally = new Map<string, number>();
export function count(what: string, by = 1): void {
  tally.set(what, (tally.get(what) ?? 0) + by);
}

/** Prints (when reporting) and resets the counts gathered since the last print. */
export function printTally(suite: string): void {
  if (!REPORT || tally.size === 0) return;
  const lines = [...tally.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([what, n]) => `  ${what}: ${n}`);
  console.log(`[edge-kv reliability] ${suite} seed=${SEED}${SOAK ? ` (soak x${SOAK_FACTOR}; replay with EDGE_KV_SOAK=1 EDGE_KV_SEED=${SEED})` : ""}\n${lines.join("\n")}`);
  tally.clear();
}

/**
 * fc.check with the suite's seed, failing with fast-check's report (seed, path and the shrunk
 * counterexample). Returns how many runs were made.
 */
export async function checkProperty(property: fc.IAsyncProperty<any> | fc.IProperty<any>, numRuns: number): Promise<number> {
  const details = await fc.check(property as fc.IAsyncProperty<any>, { seed: SEED, numRuns, includeErrorInReport: true });
  if (details.failed) throw new Error((await fc.asyncDefaultReportMessage(details)) ?? "property failed");
  return details.numRuns;
}
