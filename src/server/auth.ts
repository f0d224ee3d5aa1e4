/**
 * Who may use the REST server: the token check every dialect makes (in constant time), and the rule
 * that a server reachable from the network needs a token. On a loopback address only this machine's
 * processes can connect; on any other address (0.0.0.0, ::, a LAN address, a host name) every store
 * would be readable and writable by the whole network, so a token is required unless the caller
 * opts out explicitly (`insecureNoToken`, `edge-kv serve --insecure-no-token`).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { BlockList, isIP } from "node:net";
import { EdgeKvError } from "../errors.js";

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet("127.0.0.0", 8, "ipv4");
LOOPBACK.addAddress("::1", "ipv6");

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1 (also IPv4-mapped, any spelling) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  let address = host.trim().toLowerCase();
  if (address.startsWith("[") && address.endsWith("]")) address = address.slice(1, -1);
  if (address === "localhost" || address.endsWith(".localhost")) return true;
  const family = isIP(address);
  return family !== 0 && LOOPBACK.check(address, family === 6 ? "ipv6" : "ipv4");
}

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

/**
 * Whether the token a request carries equals the server's. Both are hashed first, so the comparison
 * takes the same time whatever the lengths and wherever they differ (no timing oracle).
 */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  const same = timingSafeEqual(digest(given ?? ""), digest(expected));
  return same && given !== undefined;
}

/**
 * Refuses a server on a non-loopback address without a token (EdgeKvError saying what to do), unless
 * `insecureNoToken`. Returns the warning to print when that opt-out is used, else undefined.
 */
export function checkBinding(options: { host: string; token?: string | undefined; insecureNoToken?: boolean | undefined }, flag = "insecureNoToken: true"): string | undefined {
  if (isLoopbackHost(options.host) || options.token !== undefined) return undefined;
  if (!options.insecureNoToken) {
    throw new EdgeKvError(
      `refusing to serve on '${options.host}' without a token: that address is reachable from other machines, and every store would be readable and writable by anyone who can connect. ` +
        `Set a token (EDGE_KV_TOKEN=<secret>, or --token), bind to 127.0.0.1, or, if the network is trusted, pass ${flag}`,
    );
  }
  return (
    `WARNING: edge-kv serves on '${options.host}' WITHOUT A TOKEN. Anyone who can reach this address can read, change and delete every store. ` +
    "Set EDGE_KV_TOKEN to require one."
  );
}
