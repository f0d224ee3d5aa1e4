// `npm test` runs the browser suite in Debian's Chromium. Install it when it is missing, so the README's
// test command does all the set-up on a fresh machine (needs root and Debian's apt, as on CI).
import { execSync } from "node:child_process";
import { existsSync } from "node:fs";

const chromium = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
if (!existsSync(chromium)) {
  console.log(`edge-kv: ${chromium} is missing; installing Debian's chromium for the browser tests...`);
  const sudo = process.getuid?.() === 0 ? "" : "sudo ";
  try {
    execSync(`${sudo}apt-get update -qq && ${sudo}env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium`, {
      stdio: "inherit",
    });
  } catch {
    console.error(
      "edge-kv: could not install chromium. Install it yourself (apt-get install chromium) or set CHROMIUM_PATH to a Chromium binary.",
    );
    process.exit(1);
  }
}
