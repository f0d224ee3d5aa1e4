/**
 * In-memory driver: a hash map for point reads plus an ordered key index (SortedKeys) for range
 * scans. Everything is synchronous, so operations apply in call order and conditional writes are
 * trivially atomic. Data lives as long as the driver object.
 */
import type { Expectation, KVDriver, ScanItem, ScanRange, StoredRecord } from "./driver.js";
import { SortedKeys } from "./sorted-keys.js";
import { compareUtf8 } from "../utf8.js";

export class MemoryDriver implements KVDriver {
  readonly description = "memory";
  #records = new Map<string, StoredRecord>();
  #keys = new SortedKeys();

  read(key: string): StoredRecord | null {
    return this.#records.get(key) ?? null;
  }

  write(key: string, record: StoredRecord, expected: Expectation): boolean {
    const current = this.#records.get(key);
    if (!matches(current, expected)) return false;
    if (current === undefined) this.#keys.insert(key);
    this.#records.set(key, record);
    return true;
  }

  delete(key: string, expected: Expectation): boolean {
    const current = this.#records.get(key);
    if (current === undefined || !matches(current, expected)) return false;
    this.#records.delete(key);
    this.#keys.remove(key);
    return true;
  }

  scan(range: ScanRange): ScanItem[] {
    const prefix = range.prefix ?? "";
    const items: ScanItem[] = [];
    if (range.limit <= 0) return items;
    const afterWithinPrefix = range.after !== undefined && compareUtf8(range.after, prefix) >= 0;
    const start = afterWithinPrefix ? range.after! : prefix;
    this.#keys.forEachFrom(start, afterWithinPrefix, (key) => {
      if (!key.startsWith(prefix)) return false;
      const record = this.#records.get(key)!;
      items.push({ key, expiresAt: record.expiresAt, size: record.value.byteLength, lastModified: record.lastModified });
      return items.length < range.limit;
    });
    return items;
  }

  clear(): void {
    this.#records.clear();
    this.#keys.clear();
  }

  /** Number of records held, expired ones included. */
  get size(): number {
    return this.#records.size;
  }
}

function matches(current: StoredRecord | undefined, expected: Expectation): boolean {
  if (expected === undefined) return true;
  if (expected === null) return current === undefined;
  return current !== undefined && current.generation === expected;
}
