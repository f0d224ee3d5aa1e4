/**
 * The copying half of a compaction: the live records of a segment written, in key order, into a new
 * staging segment that is flushed to the disk. The driver then seals the old segment and renames the
 * new one into place (src/node/fs-driver.ts).
 */
import { promises as fsp } from "node:fs";
import { concatBytes } from "../bytes.js";
import { EdgeKvError } from "../errors.js";
import { folderError } from "./fs-errors.js";
import { LogFile } from "./fs-file.js";
import { stagingPath } from "./fs-folder.js";
import type { IndexEntry, LogIndex } from "./fs-index.js";
import { SEGMENT_HEADER_BYTES, encodeSegmentHeader } from "./fs-log.js";

/** Bytes gathered before one write to the new segment. */
const WRITE_CHUNK = 4 * 1024 * 1024;

export interface CopiedSegment {
  /** The flushed staging file holding the new segment. */
  staging: string;
  /** The new segment's index entries. */
  entries: Map<string, IndexEntry>;
  /** The new segment's size in bytes. */
  size: number;
}

/**
 * Writes segment `sequence` holding the records of `keys` (each read with `recordBytes`, which checks
 * it), flushed to the disk even in "relaxed" durability (the old segment is removed next, so a power
 * loss must not find this one empty). `refresh` runs every 1000 records (keeps the lock fresh).
 */
export async function copyRecords(
  directory: string,
  sequence: number,
  keys: string[],
  index: LogIndex,
  recordBytes: (key: string, entry: IndexEntry) => Uint8Array,
  refresh: () => Promise<void>,
): Promise<CopiedSegment> {
  const staging = stagingPath(directory);
  const entries = new Map<string, IndexEntry>();
  let out: LogFile | null = null;
  let size = SEGMENT_HEADER_BYTES;
  try {
    out = LogFile.open(staging, "wx");
    const pending: Uint8Array[] = [encodeSegmentHeader(sequence)];
    let pendingBytes = SEGMENT_HEADER_BYTES;
    let written = 0;
    const flush = () => {
      out!.write(concatBytes(pending), written);
      written += pendingBytes;
      pending.length = 0;
      pendingBytes = 0;
    };
    for (const [i, key] of keys.entries()) {
      const entry = index.get(key)!;
      const bytes = recordBytes(key, entry);
      entries.set(key, { ...entry, offset: size });
      size += entry.length;
      pending.push(bytes);
      pendingBytes += bytes.byteLength;
      if (pendingBytes >= WRITE_CHUNK) flush();
      if (i % 1000 === 999) await refresh();
    }
    flush();
    await out.sync();
    out.close();
    out = null;
  } catch (error) {
    out?.close();
    await fsp.rm(staging, { force: true }).catch(() => undefined);
    if (error instanceof EdgeKvError) throw error;
    throw folderError(directory, error, "compact the log");
  }
  return { staging, entries, size };
}
