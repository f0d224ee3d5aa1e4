/**
 * Rebuilding a store whose log has damaged records (FileSystemDriver.repair): every record that can
 * still be read is copied into a new segment, damaged ones are left out, and the old segment is kept
 * next to it as `<segment>.damaged-<time>` for inspection (nothing is deleted).
 */
import { promises as fsp } from "node:fs";
import { join } from "node:path";
import { concatBytes } from "../bytes.js";
import { StoreCorruptedError } from "./fs-errors.js";
import { LogFile } from "./fs-file.js";
import { segmentName, stagingPath } from "./fs-folder.js";
import { FolderLock } from "./fs-lock.js";
import { Kind, RECORD_HEADER_BYTES, SEGMENT_HEADER_BYTES, decodeSegmentHeader, encodeSeal, encodeSegmentHeader, parseRecord } from "./fs-log.js";

/**
 * Repairs the store in `directory` if opening it (`probe`: open, then close) finds damage.
 * A damaged record whose length is intact is skipped on its own; when the damage leaves no way to
 * find the next record, everything after it is left out. Resolves the number of bytes left out
 * (0 when nothing was damaged).
 */
export async function repairStore(directory: string, probe: () => Promise<void>): Promise<number> {
  let damage: StoreCorruptedError | null = null;
  try {
    await probe();
  } catch (error) {
    if (!(error instanceof StoreCorruptedError)) throw error;
    damage = error;
  }
  if (damage === null) return 0;
  const lock = new FolderLock(directory, { staleMs: 10_000, timeoutMs: 30_000 });
  await lock.acquire();
  try {
    const old = LogFile.open(damage.file, "r+");
    try {
      const bytes = old.read(0, old.size());
      const sequence = decodeSegmentHeader(bytes)!;
      const kept: Uint8Array[] = [encodeSegmentHeader(sequence + 1)];
      let lost = 0;
      for (let position = SEGMENT_HEADER_BYTES; position < bytes.byteLength; ) {
        const parsed = parseRecord(bytes, position);
        if (parsed.status === "ok") {
          if (parsed.summary.kind === Kind.Seal) break;
          kept.push(bytes.subarray(position, position + parsed.summary.length));
          position += parsed.summary.length;
          continue;
        }
        // A record whose length passed the sanity check can be stepped over if a valid record (or the end) follows it.
        const resumes = parsed.status === "corrupt" && parsed.length > RECORD_HEADER_BYTES && parseRecord(bytes, position + parsed.length).status !== "corrupt";
        const skip = resumes ? parsed.length : bytes.byteLength - position;
        lost += skip;
        position += skip;
      }
      const next = join(directory, segmentName(sequence + 1));
      const staging = stagingPath(directory);
      const out = LogFile.open(staging, "wx");
      try {
        out.write(concatBytes(kept), 0);
        await out.sync();
      } finally {
        out.close();
      }
      old.write(encodeSeal(sequence + 1), bytes.byteLength); // processes still on the old segment move on
      await old.sync();
      await fsp.rename(staging, next);
      await fsp.rename(damage.file, `${damage.file}.damaged-${Date.now()}`);
      return lost;
    } finally {
      old.close();
    }
  } finally {
    await lock.dispose();
  }
}
