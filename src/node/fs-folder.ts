/**
 * The store folder as files: the marker that makes a folder a store, the log segments' names, creating
 * a segment, flushing the folder, and removing what interrupted work left behind.
 *
 *   edge-kv-store.json        marks the folder as a store (format, version, store name)
 *   data-<16 digits>.log      the current log segment (older ones only during a compaction)
 *   lock/, waiters/           the write lock (src/node/fs-lock.ts)
 *   tmp-*, .lock-*, .marker-* staging files of lock holders and openers
 */
import { randomBytes } from "node:crypto";
import { promises as fsp, type Stats } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { EdgeKvError } from "../errors.js";
import { code, describeValue, folderError } from "./fs-errors.js";
import { LogFile } from "./fs-file.js";
import { ownerState } from "./fs-lock.js";
import { encodeSeal, encodeSegmentHeader } from "./fs-log.js";

const MARKER = "edge-kv-store.json";
const MARKER_FORMAT = "edge-kv/fs";
const MARKER_VERSION = 1;
const SEGMENT_PATTERN = /^data-(\d{16})\.log$/;
const OWN_ENTRY = /^(edge-kv-store\.json|lock|waiters|data-\d{16}\.log(\.damaged-\d+)?|tmp-.*|\.lock-.*|\.marker-.*)$/;

export const segmentName = (sequence: number) => `data-${String(sequence).padStart(16, "0")}.log`;

/** A fresh staging path in the folder (only lock holders write these; leftovers are removed). */
export const stagingPath = (directory: string) => join(directory, `tmp-${process.pid}-${randomBytes(6).toString("hex")}.log`);

/**
 * Makes `directory` a store folder, or checks that it is one: creates it (and its marker) when missing
 * or empty, and refuses a folder holding other files, another format or version, or another store.
 */
export async function prepareFolder(directory: string, storeName: string | null): Promise<void> {
  let stat: Stats | null = null;
  try {
    stat = await fsp.stat(directory);
  } catch (error) {
    if (code(error) !== "ENOENT") throw folderError(directory, error, "open it");
  }
  if (stat === null) {
    try {
      await fsp.mkdir(directory, { recursive: true });
    } catch (error) {
      throw folderError(directory, error, "create it");
    }
  } else if (!stat.isDirectory()) {
    throw new EdgeKvError(`store folder '${directory}' is a file, not a folder. Move the file away or choose another directory.`);
  }
  const markerPath = join(directory, MARKER);
  let text: string | null = null;
  try {
    text = await fsp.readFile(markerPath, "utf8");
  } catch (error) {
    if (code(error) !== "ENOENT") throw folderError(directory, error, `read ${MARKER}`);
  }
  if (text === null) {
    let entries: string[];
    try {
      entries = await fsp.readdir(directory);
    } catch (error) {
      throw folderError(directory, error, "list it");
    }
    const foreign = entries.filter((name) => !OWN_ENTRY.test(name));
    if (foreign.length > 0) {
      throw new EdgeKvError(
        `folder '${directory}' is not empty and is not an edge-kv store (no ${MARKER}; it holds ${foreign.slice(0, 3).map((n) => `'${n}'`).join(", ")}${foreign.length > 3 ? ", ..." : ""}). ` +
          `Choose an empty or new folder for the store.`,
      );
    }
    const marker = { format: MARKER_FORMAT, version: MARKER_VERSION, store: storeName };
    const staging = join(directory, `.marker-${randomBytes(6).toString("hex")}`);
    try {
      await fsp.writeFile(staging, JSON.stringify(marker, null, 2) + "\n");
      await fsp.rename(staging, markerPath);
    } catch (error) {
      await fsp.rm(staging, { force: true }).catch(() => undefined);
      throw folderError(directory, error, `write ${MARKER}`);
    }
    return prepareFolder(directory, storeName); // check what is there now: another process may have written it first
  }
  let marker: { format?: unknown; version?: unknown; store?: unknown };
  try {
    marker = JSON.parse(text) as typeof marker;
  } catch {
    throw new EdgeKvError(`'${markerPath}' is damaged (not JSON). If the folder holds an edge-kv store, restore that file as {"format":"${MARKER_FORMAT}","version":${MARKER_VERSION}}; otherwise choose another directory.`);
  }
  if (marker?.format !== MARKER_FORMAT) {
    throw new EdgeKvError(`'${markerPath}' does not describe an edge-kv filesystem store (format ${describeValue(marker?.format)}). Choose another directory.`);
  }
  if (marker.version !== MARKER_VERSION) {
    throw new EdgeKvError(`store folder '${directory}' has format version ${describeValue(marker.version)}; this edge-kv reads version ${MARKER_VERSION}. Use the edge-kv version that wrote it, or another directory.`);
  }
  if (storeName !== null && marker.store !== null && marker.store !== undefined && marker.store !== storeName) {
    throw new EdgeKvError(`store folder '${directory}' belongs to store ${describeValue(marker.store)}, not '${storeName}'. Two store names map to this folder; rename one of the stores.`);
  }
}

/** The sequence numbers of the folder's log segments, ascending; null when the folder is gone. */
export async function listSegments(directory: string): Promise<number[] | null> {
  let names: string[];
  try {
    names = await fsp.readdir(directory);
  } catch (error) {
    if (code(error) === "ENOENT") return null;
    throw folderError(directory, error, "list it");
  }
  const sequences: number[] = [];
  for (const name of names) {
    const match = SEGMENT_PATTERN.exec(name);
    if (match) sequences.push(Number(match[1]));
  }
  return sequences.sort((a, b) => a - b);
}

/** Creates an empty segment `sequence`, flushed with its folder entry. Caller holds the lock. */
export async function createSegment(directory: string, sequence: number): Promise<void> {
  const staging = stagingPath(directory);
  try {
    const file = LogFile.open(staging, "wx");
    try {
      file.write(encodeSegmentHeader(sequence), 0);
      await file.sync(); // always: a new segment replaces everything before it
    } finally {
      file.close();
    }
    await fsp.rename(staging, join(directory, segmentName(sequence)));
    await syncFolder(directory);
  } catch (error) {
    await fsp.rm(staging, { force: true }).catch(() => undefined);
    throw folderError(directory, error, "create a log segment");
  }
}

/** Flushes the folder's entries (renames, new files), in every durability: it only runs when segments change. */
export async function syncFolder(directory: string): Promise<void> {
  const folder = await fsp.open(directory, "r").catch(() => null);
  if (folder === null) return;
  await folder.sync().catch(() => undefined); // not supported everywhere (Windows); best effort
  await folder.close().catch(() => undefined);
}

/**
 * Under the lock: seals and removes segments older than `sequence`, staging files and lock staging
 * folders of dead processes. Resolves false when the folder could not be listed (try again later).
 */
export async function removeLeftovers(directory: string, sequence: number): Promise<boolean> {
  let names: string[];
  try {
    names = await fsp.readdir(directory);
  } catch {
    return false;
  }
  for (const name of names) {
    const path = join(directory, name);
    const segment = SEGMENT_PATTERN.exec(name);
    if (segment && Number(segment[1]) < sequence) {
      // Left by a compaction interrupted after its new segment was in place.
      await fsp.appendFile(path, encodeSeal(sequence)).catch(() => undefined);
      await fsp.unlink(path).catch(() => undefined);
    } else if (name.startsWith("tmp-")) {
      await fsp.rm(path, { force: true }).catch(() => undefined); // only lock holders write these
    } else if (name.startsWith(".marker-")) {
      // Written without the lock by processes opening a new folder: only old ones are leftovers.
      const stat = await fsp.stat(path).catch(() => null);
      if (stat !== null && Date.now() - stat.mtimeMs > 60_000) await fsp.rm(path, { force: true }).catch(() => undefined);
    } else if (name.startsWith(".lock-")) {
      const pid = Number(name.slice(6, name.indexOf("-", 6)));
      if (Number.isSafeInteger(pid) && ownerState({ pid, host: hostname(), procStart: null, token: "", since: 0 }) === "dead") {
        await fsp.rm(path, { recursive: true, force: true }).catch(() => undefined);
      }
    }
  }
  return true;
}
