/**
 * In-process requests/s of one side (`--side direct`: the app's handler called with a Request; `--side
 * host`: the same handler behind the app host, `loadApp(...).fetch`: FetchEvent, listener dispatch,
 * request scope). Bundled from src/ like the other workers; prints one JSON line. Two apps: one
 * answers a constant, one reads a KV entry first.
 */
import { checkSide, handlers, requester, setUpStores } from "./apps.js";
import { median, opsPerSecond, parseArgs, useClock, type ClockKind } from "../lib/harness.js";

const args = parseArgs(process.argv.slice(2));
const timeMs = Number(args.get("time") ?? 200);
const rounds = Number(args.get("rounds") ?? 3);
useClock((args.get("clock") ?? "cpu") as ClockKind);

await setUpStores();
const side = checkSide(args.get("side"));
// Each side in its own process: the host turns on process-wide costs (Node 20's AsyncLocalStorage
// hooks every promise), which a process that calls the handler directly never pays.
const results: Array<[string, number]> = [];
for (const [name, handler] of Object.entries(handlers)) {
  const run = await requester(side, handler);
  // Warm up for one round's time, unmeasured: tinybench's warm-up (timeMs / 4) left the first app of a
  // fresh process still compiling (its first round ran at a fraction of its later speed, on either side).
  for (const until = performance.now() + timeMs; performance.now() < until; ) await run();
  const ops: number[] = [];
  for (let round = 0; round < rounds; round++) ops.push(await opsPerSecond(run, { timeMs, warmupMs: timeMs / 4 }));
  results.push([name, median(ops)]);
}
process.stdout.write(`${JSON.stringify({ results })}\n`);
