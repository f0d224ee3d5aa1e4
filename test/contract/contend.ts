/**
 * The work of one contender process in the multi-process tests (test/node/children/contender.ts on a
 * store folder, test/redis/children/contender.ts on a Redis store): per iteration a
 * generation-checked increment of `counter` (read, write if the generation still matches, retry — a
 * lost update shows as a final count below the total), an append to `log` and a prepend to
 * `prepended`, and an `add` race for one of ten keys `once-<n % 10>`.
 */
import { KVError, type KVStore, type StoreAdmin } from "edge-kv";

export interface ContenderResult {
  /** The `once-*` keys this contender's `add` won. */
  wins: string[];
  /** How many increments found the generation moved on and retried. */
  conflicts: number;
}

export async function contend(admin: StoreAdmin, store: KVStore, id: string, iterations: number): Promise<ContenderResult> {
  let conflicts = 0;
  const wins: string[] = [];
  for (let n = 0; n < iterations; n++) {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 10_000) throw new Error("counter never settled");
      const current = await admin.inspect("counter");
      try {
        if (current === null) await admin.put("counter", "1", { mode: "add" });
        else await admin.put("counter", String(Number(current.text) + 1), { ifGenerationMatch: current.generation });
        break;
      } catch (error) {
        if (!(error instanceof KVError && error.code === "precondition-failed")) throw error;
        conflicts++;
      }
    }
    await store.put("log", `${id}:${n},`, { mode: "append" });
    await store.put("prepended", `${id}:${n},`, { mode: "prepend" });
    const race = `once-${n % 10}`;
    try {
      await store.put(race, id, { mode: "add" });
      wins.push(race);
    } catch (error) {
      if (!(error instanceof TypeError && error.message === "KVStore insert: Precondition failed.")) throw error;
    }
  }
  return { wins, conflicts };
}
