import { benchRedis } from "./bench/redis/run.ts";
await benchRedis({ quick: false, runs: 3 });
