/**
 * What a process knows of the current log segment without reading it: per key, where its record is
 * and the fields scans and plans need (generation, expiry, time, size), plus an ordered key index for
 * range scans. Rebuilt from the log when a process opens the folder, kept in step as records are read
 * or appended.
 */
import type { ScanItem, ScanRange } from "../drivers/driver.js";
import { SortedKeys } from "../drivers/sorted-keys.js";
import { compareUtf8 } from "../utf8.js";
import { Kind, type RecordSummary } from "./fs-log.js";

export interface IndexEntry {
  offset: number;
  length: number;
  generation: number;
  expiresAt: number | null;
  lastModified: number;
  size: number;
}

export class LogIndex {
  #entries = new Map<string, IndexEntry>();
  #keys = new SortedKeys();
  /** Bytes of records still live (the rest of the segment after the header is garbage). */
  liveBytes = 0;
  /** Reading a whole segment: the ordered index is rebuilt once at the end instead of kept in step. */
  #bulk = false;

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): IndexEntry | undefined {
    return this.#entries.get(key);
  }

  set(key: string, entry: IndexEntry): void {
    const previous = this.#entries.get(key);
    if (previous !== undefined) this.liveBytes -= previous.length;
    else if (!this.#bulk) this.#keys.insert(key);
    this.#entries.set(key, entry);
    this.liveBytes += entry.length;
  }

  remove(key: string): void {
    const previous = this.#entries.get(key);
    if (previous === undefined) return;
    this.#entries.delete(key);
    if (!this.#bulk) this.#keys.remove(key);
    this.liveBytes -= previous.length;
  }

  /** Updates the index from one put or delete record found at `offset`. */
  apply(summary: RecordSummary, offset: number): void {
    if (summary.kind === Kind.Put) {
      this.set(summary.key, {
        offset,
        length: summary.length,
        generation: summary.generation,
        expiresAt: summary.expiresAt,
        lastModified: summary.lastModified,
        size: summary.valueSize,
      });
    } else if (summary.kind === Kind.Delete) {
      this.remove(summary.key);
    }
  }

  /**
   * Runs `load` with ordering suspended: a whole segment is indexed by key first and ordered once
   * at the end (much cheaper than inserting 100,000 keys one by one into the ordered index).
   */
  async bulk<T>(load: () => Promise<T>): Promise<T> {
    this.#bulk = true;
    try {
      return await load();
    } finally {
      this.#bulk = false;
      this.#keys = orderedKeys(this.#entries.keys());
    }
  }

  /** Replaces the whole content (after a compaction wrote `entries` into a new segment). */
  replace(entries: Map<string, IndexEntry>, liveBytes: number): void {
    this.#entries = entries;
    this.#keys = orderedKeys(entries.keys());
    this.liveBytes = liveBytes;
  }

  /** Every key, in UTF-8 byte order. */
  orderedKeys(): string[] {
    const keys: string[] = [];
    this.#keys.forEachFrom("", false, (key) => (keys.push(key), true));
    return keys;
  }

  /** The ScanItems of `range` (prefix and after already well-formed). */
  scan(range: ScanRange): ScanItem[] {
    const prefix = range.prefix ?? "";
    const after = range.after;
    const items: ScanItem[] = [];
    if (range.limit <= 0) return items;
    const afterWithinPrefix = after !== undefined && compareUtf8(after, prefix) >= 0;
    this.#keys.forEachFrom(afterWithinPrefix ? after! : prefix, afterWithinPrefix, (key) => {
      if (!key.startsWith(prefix)) return false;
      const entry = this.#entries.get(key)!;
      items.push({ key, expiresAt: entry.expiresAt, size: entry.size, lastModified: entry.lastModified });
      return items.length < range.limit;
    });
    return items;
  }
}

/** An ordered index of `keys`: sorted natively first (UTF-16 order, equal to UTF-8 order except around surrogates), so nearly every insert appends. */
function orderedKeys(keys: Iterable<string>): SortedKeys {
  const sorted = [...keys].sort();
  const index = new SortedKeys();
  for (const key of sorted) index.insert(key);
  return index;
}
