/** The stores of a data folder (the layout fileSystemStores and `edge-kv serve --data` use). */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { EdgeKvError } from "../errors.js";

/** Store names found in a data folder (each store folder's marker file records its name). */
export function storesInFolder(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return [];
    throw new EdgeKvError(`cannot read the data folder ${root}: ${(error as Error).message}`);
  }
  const names: string[] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    try {
      const marker = JSON.parse(readFileSync(join(root, entry.name, "edge-kv-store.json"), "utf8")) as { store?: unknown };
      if (typeof marker.store === "string") names.push(marker.store);
    } catch {
      // not a store folder
    }
  }
  return names;
}

