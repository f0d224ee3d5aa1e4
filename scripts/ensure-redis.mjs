// `npm test` starts its own redis-server processes (single servers and a 3-master cluster) for the
// Redis driver's tests. Install Debian's redis-server when it is missing (the package's system
// service is not used: the tests start servers on free loopback ports and stop them).
import { ensureDebianPackage } from "./apt-install.mjs";

const server = process.env.EDGE_KV_REDIS_SERVER ?? "/usr/bin/redis-server";
ensureDebianPackage({
  pkg: "redis-server",
  binaries: [server],
  purpose: "the Redis driver's tests",
  override: "set EDGE_KV_REDIS_SERVER to a redis-server (or valkey-server) binary",
});
