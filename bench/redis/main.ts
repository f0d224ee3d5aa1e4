/**
 * `npm run bench:redis`: only the Redis part of `npm run bench` (bench/redis/run.ts, the same worker and
 * settings), writing bench/results/redis.md and redis.json.
 *
 *   npm run bench:redis                  # 3 runs
 *   npm run bench:redis -- --runs 5
 *   npm run bench:redis -- --quick       # 1 short run, results printed only
 *   npm run bench:redis -- --profile     # where the server's time goes (bench/redis/profile.ts)
 */
import { parseArgs } from "../lib/harness.js";
import { benchRedis } from "./run.js";

const args = parseArgs(process.argv.slice(2));
if (args.has("profile")) {
  await import("./profile.js");
  process.exit(0);
}
const quick = args.has("quick");
const runs = Number(args.get("runs") ?? (quick ? 1 : 3));
await benchRedis({ quick, runs, command: `npm run bench:redis${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}` });
