/**
 * Runs the model-based commands against one driver: a fresh store per sequence, a fixed seed in the
 * default run and more, longer sequences with a printed seed under `npm run test:soak`.
 */
import fc from "fast-check";
import { afterAll, it } from "vitest";
import { commandArbs, type CommandOptions } from "./commands.js";
import { KVModel, type ModelProfile } from "./model.js";
import { checkProperty, count, printTally, runs } from "./settings.js";
import { makeSubject, START_TIME, type DriverFactory, type Subject } from "./support.js";

/** Small limits so appends overflow the value limit and metadata crosses its limit within a few steps. */
export const MODEL_LIMITS = { maxValueBytes: 16, maxMetadataBytes: 8 };

export interface ModelRunOptions extends CommandOptions {
  /** Sequences in the default run (soak multiplies it). */
  sequences: number;
  /** Longest sequence. */
  maxCommands: number;
  /** Behaviour profile of the store and the model. Default "production". */
  profile?: ModelProfile;
  /** More commands to mix in (e.g. over the REST surface). */
  extra?: fc.Arbitrary<fc.AsyncCommand<KVModel, Subject, false>>[];
  /** Run before each sequence (e.g. start a server); returns what to run after it. */
  prepare?: (real: Subject) => Promise<() => Promise<void>>;
}

export function modelBasedTests(driverName: string, factory: DriverFactory, options: ModelRunOptions): void {
  it(`agrees with the reference model on random sequences of put/get/delete/list/clock steps (${driverName}${options.profile === "viceroy" ? ", viceroy profile" : ""})`, async () => {
    const property = fc.asyncProperty(fc.commands([...commandArbs(options), ...(options.extra ?? [])], { maxCommands: options.maxCommands, size: "max" }), async (commands) => {
      const profile = options.profile ?? "production";
      const real = await makeSubject(factory, { ...MODEL_LIMITS, profile });
      const finish = await options.prepare?.(real);
      try {
        await fc.asyncModelRun(() => ({ model: new KVModel(START_TIME, MODEL_LIMITS, profile), real }), commands);
      } finally {
        await finish?.();
        await real.cleanup();
      }
    });
    const made = await checkProperty(property, runs(options.sequences));
    count(`model sequences (${driverName})`, made);
  }, 600_000);

  afterAll(() => printTally(`model-based (${driverName})`));
}
