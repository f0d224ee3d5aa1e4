/** Node-only helpers of the reliability suites: byte-exact folder snapshots and temporary store folders. */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileSystemDriver, type Durability } from "edge-kv/node";
import type { DriverFactory } from "./support.js";

/** Every file under `directory` (relative path, size, SHA-256), sorted: equal exactly when the bytes on disk are. */
export function snapshotFolder(directory: string): string {
  const rows: string[] = [];
  const walk = (folder: string, relative: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const stat = statSync(path);
      if (stat.isDirectory()) walk(path, `${relative}${name}/`);
      else rows.push(`${relative}${name} ${stat.size} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`);
    }
  };
  walk(directory, "");
  return rows.join("\n");
}

/** A temporary root folder for one test file; remove it with the returned function. */
export function temporaryRoot(label: string): { root: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), `edge-kv-${label}-`));
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** Filesystem stores in fresh folders under `root`, reopenable on the same folder. */
export function fsFactory(
  root: string,
  durability: Durability = "relaxed",
  extra: { compactAfterBytes?: number; twin?: boolean } = {},
): DriverFactory & { lastDirectory(): string } {
  let folders = 0;
  let last = "";
  const factory = () => {
    const directory = join(root, `store-${++folders}`);
    last = directory;
    const open = () => new FileSystemDriver({ directory, durability, storeName: "reliability", compactAfterBytes: extra.compactAfterBytes });
    const setup = { driver: open(), cleanup: () => rmSync(directory, { recursive: true, force: true }) };
    // Either reopening one driver, or two drivers open at once: not both (reopen replaces one side only).
    return extra.twin ? { ...setup, twin: open } : { ...setup, reopen: open };
  };
  return Object.assign(factory, { lastDirectory: () => last });
}
