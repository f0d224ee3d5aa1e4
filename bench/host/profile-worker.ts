/**
 * For bench/host/profile.ts: `count` requests through one side (`direct` or `host`) of one app
 * (`constant` or `kv get`), one at a time, as bench/host/worker.ts measures them; prints the wall time.
 */
import { checkSide, handlers, requester, setUpStores } from "./apps.js";

const [side = "host", appName = "kv get", countArg = "200000"] = process.argv.slice(2);
const count = Number(countArg);
await setUpStores();
const handler = handlers[appName];
if (handler === undefined) throw new Error(`app: constant | "kv get", got ${appName}`);
const run = await requester(checkSide(side), handler);
for (let i = 0; i < count / 10; i++) await run(); // warm-up
const cpu = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < count; i++) await run();
const ms = performance.now() - started;
const { user, system } = process.cpuUsage(cpu);
process.stderr.write(`${side} ${appName}: ${count} requests in ${ms.toFixed(0)} ms (${((1000 * ms) / count).toFixed(2)} µs each, CPU ${((user + system) / count).toFixed(2)} µs each)\n`);
