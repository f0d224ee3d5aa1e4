// `npm test` runs the browser suite in Debian's Chromium. Install it when it is missing, so the README's
// test command does all the set-up on a fresh machine (needs root and Debian's apt, as on CI).
import { ensureDebianPackage } from "./apt-install.mjs";

ensureDebianPackage({
  pkg: "chromium",
  binaries: [process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"],
  purpose: "the browser tests",
  override: "set CHROMIUM_PATH to a Chromium binary",
});
