// Installs a Debian package with apt-get when a binary the tests need is missing (needs root or sudo
// and Debian's apt, as on CI). Used by ensure-chromium.mjs and ensure-redis.mjs.
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

/**
 * Makes sure every path in `binaries` exists, installing Debian's `pkg` if one is missing.
 * Exits the process with status 1 and a message saying what to do when the install fails.
 */
export function ensureDebianPackage({ pkg, binaries, purpose, override }) {
  const missing = binaries.filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  console.log(`edge-kv: ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing; installing Debian's ${pkg} for ${purpose}...`);
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  try {
    execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`, { stdio: "inherit" });
  } catch {
    console.error(`edge-kv: could not install ${pkg}. Install it yourself (apt-get install ${pkg})${override ? ` or ${override}` : ""}.`);
    process.exit(1);
  }
  const still = binaries.filter((path) => !existsSync(path));
  if (still.length > 0) {
    console.error(`edge-kv: installed ${pkg}, but ${still.join(", ")} is still missing${override ? `; ${override}` : ""}.`);
    process.exit(1);
  }
}
