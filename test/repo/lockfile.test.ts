/**
 * A fresh install must not dirty the repo: package-lock.json is exactly what `npm install` writes for
 * package.json. Checked in a temporary copy holding only those two files, with `--package-lock-only`
 * (resolves against the npm registry, downloads and runs nothing), so the check costs a second or two.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url));
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** What `npm install` would write as package-lock.json next to package.json and `lockfile`. */
async function lockfileAfterInstall(lockfile: string): Promise<string> {
  const folder = mkdtempSync(join(tmpdir(), "edge-kv-lockfile-"));
  folders.push(folder);
  copyFileSync(join(root, "package.json"), join(folder, "package.json"));
  writeFileSync(join(folder, "package-lock.json"), lockfile);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  await promisify(execFile)(npm, ["install", "--package-lock-only", "--ignore-scripts", "--no-audit", "--no-fund"], { cwd: folder, timeout: 120_000 });
  return readFileSync(join(folder, "package-lock.json"), "utf8");
}

describe("package-lock.json", () => {
  it("is byte for byte what a fresh `npm install` writes (run `npm install` and commit package-lock.json if this fails)", async () => {
    const committed = readFileSync(join(root, "package-lock.json"), "utf8");
    const written = await lockfileAfterInstall(committed);
    expect(written === committed, "npm install rewrites package-lock.json: run `npm install` and commit the result").toBe(true);
  }, 150_000);

  it("the check sees a lockfile that lacks an optional platform entry (what a fresh install used to add)", async () => {
    const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as { packages: Record<string, { optional?: boolean; os?: string[] }> };
    const platformEntry = Object.keys(lock.packages).find((path) => lock.packages[path]!.optional && lock.packages[path]!.os);
    expect(platformEntry).toBeDefined();
    delete lock.packages[platformEntry!];
    const stale = JSON.stringify(lock, null, 2) + "\n";
    expect((await lockfileAfterInstall(stale)) === stale).toBe(false);
  }, 150_000);
});
