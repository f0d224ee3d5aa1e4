import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary folder per call; remove them all with removeTempFolders(). */
const made: string[] = [];
export function tempFolder(label = "edge-kv-fs-"): string {
  const folder = mkdtempSync(join(tmpdir(), label));
  made.push(folder);
  return folder;
}

export function removeTempFolders(): void {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
}
