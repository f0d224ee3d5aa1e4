/**
 * In-memory driver: a hash map from key to a slot number for point reads, plus an ordered key index
 * (SortedKeys) for range scans. Everything is synchronous, so operations apply in call order and
 * conditional writes are trivially atomic. Data lives as long as the driver object.
 *
 * Layout, chosen for memory (a million small records is a normal test fixture):
 *   - each record's numbers live in typed arrays indexed by its slot, not in one object per record:
 *     generation, expiry, last-modified time, size and where the value is, side by side (48 bytes:
 *     one or two cache lines per record, which keeps reads and scans of a million-key store nearly
 *     as cheap as of a small one);
 *   - the ordered index keeps each key's slot next to the key, so a scan never hashes a key;
 *   - values up to SMALL_VALUE_BYTES are copied into shared 256 KiB slabs instead of each having its
 *     own ArrayBuffer (V8 spends ~300 bytes of bookkeeping on every ArrayBuffer); larger values are
 *     kept as the Uint8Array given;
 *   - metadata and content types, rare in practice, sit in side maps.
 * A slab region is written once and never reused: a read returns a view into the slab, and a later
 * overwrite writes elsewhere, so a value already handed out never changes. Dead regions are
 * reclaimed by compaction (live values copied to fresh slabs) once they outweigh the live bytes.
 */
import type { DeletePlan, DeleteResult, KVDriver, ScanItem, ScanRange, StoredRecord, WritePlan, WriteResult } from "./driver.js";
import { decideDelete, decideWrite, type CurrentRecord } from "./plan.js";
import { SortedKeys } from "./sorted-keys.js";
import { compareUtf8 } from "../utf8.js";

/** Values up to this size are copied into slabs; larger ones keep their own buffer. */
const SMALL_VALUE_BYTES = 16 * 1024;
const SLAB_BYTES = 256 * 1024;
/** Compaction runs when dead slab bytes exceed both this and the live slab bytes. */
const MIN_GARBAGE_BYTES = 8 * 1024 * 1024;
/** `slab` column value for a value kept in `#largeValues`. */
const OWN_BUFFER = -1;
/** `slab` column value for a zero-length value. */
const EMPTY = -2;
const INITIAL_CAPACITY = 1024;
/** Numbers kept per record in `#numbers`; see there. */
const STRIDE = 6;
const GENERATION = 0;
const EXPIRES_AT = 1;
const LAST_MODIFIED = 2;
const SIZE = 3;
const SLAB = 4;
const OFFSET = 5;

export class MemoryDriver implements KVDriver {
  readonly description = "memory";
  #slots = new Map<string, number>();
  #keys = new SortedKeys();
  #freeSlots: number[] = [];
  #nextSlot = 0;
  #capacity = INITIAL_CAPACITY;
  /** Per slot, at slot * STRIDE: generation, expiry (NaN for none), last-modified time, value size, slab, offset in the slab. */
  #numbers = new Float64Array(INITIAL_CAPACITY * STRIDE);
  #largeValues = new Map<number, Uint8Array>();
  #metadata = new Map<number, Uint8Array>();
  #contentType = new Map<number, string>();
  #arena = new SlabArena();
  /** The record in a slot as plan decisions see it: one reused object (no allocation per write), its value read only when a plan combines. */
  readonly #current = this.#slotView();

  read(key: string): StoredRecord | null {
    const slot = this.#slots.get(key);
    if (slot === undefined) return null;
    const numbers = this.#numbers;
    const at = slot * STRIDE;
    const expiresAt = numbers[at + EXPIRES_AT]!;
    return {
      value: this.#value(slot),
      metadata: this.#metadata.size === 0 ? null : (this.#metadata.get(slot) ?? null),
      generation: numbers[at + GENERATION]!,
      expiresAt: expiresAt === expiresAt ? expiresAt : null,
      lastModified: numbers[at + LAST_MODIFIED]!,
      contentType: this.#contentType.size === 0 ? null : (this.#contentType.get(slot) ?? null),
    };
  }

  write(key: string, plan: WritePlan): WriteResult {
    let slot = this.#slots.get(key);
    const result = decideWrite(slot === undefined ? null : this.#current.at(slot), plan);
    if (result.status !== "written") return result;
    if (slot === undefined) {
      slot = this.#allocateSlot();
      this.#slots.set(key, slot);
      this.#keys.insert(key, slot);
    } else {
      this.#releaseValue(slot);
    }
    this.#store(slot, result.record);
    if (this.#arena.needsCompaction()) this.#compact();
    return result;
  }

  delete(key: string, plan: DeletePlan): DeleteResult {
    const slot = this.#slots.get(key);
    const result = decideDelete(slot === undefined ? null : this.#current.at(slot), plan);
    if (result.status !== "deleted") return result;
    this.#slots.delete(key);
    this.#keys.remove(key);
    this.#releaseValue(slot!);
    this.#metadata.delete(slot!);
    this.#contentType.delete(slot!);
    this.#freeSlots.push(slot!);
    if (this.#arena.needsCompaction()) this.#compact();
    return result;
  }

  scan(range: ScanRange): ScanItem[] {
    const items: ScanItem[] = [];
    if (range.limit <= 0) return items;
    const prefix = range.prefix ?? "";
    const afterWithinPrefix = range.after !== undefined && compareUtf8(range.after, prefix) >= 0;
    const { keys, slots } = this.#keys.collect(afterWithinPrefix ? range.after! : prefix, afterWithinPrefix, prefix, range.limit);
    const numbers = this.#numbers;
    for (let i = 0; i < keys.length; i++) {
      const at = slots[i]! * STRIDE;
      const expiresAt = numbers[at + EXPIRES_AT]!;
      items.push({ key: keys[i]!, expiresAt: expiresAt === expiresAt ? expiresAt : null, size: numbers[at + SIZE]!, lastModified: numbers[at + LAST_MODIFIED]! });
    }
    return items;
  }

  clear(): void {
    this.#slots.clear();
    this.#keys.clear();
    this.#freeSlots = [];
    this.#nextSlot = 0;
    this.#largeValues.clear();
    this.#metadata.clear();
    this.#contentType.clear();
    this.#arena = new SlabArena();
  }

  /** Number of records held, expired ones included. */
  get size(): number {
    return this.#slots.size;
  }

  #slotView(): CurrentRecord & { at(slot: number): CurrentRecord } {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const driver = this;
    let at = 0;
    let slot = 0;
    return {
      at(chosen: number) {
        slot = chosen;
        at = chosen * STRIDE;
        return this;
      },
      get generation() {
        return driver.#numbers[at + GENERATION]!;
      },
      get expiresAt() {
        const expiresAt = driver.#numbers[at + EXPIRES_AT]!;
        return expiresAt === expiresAt ? expiresAt : null;
      },
      get value() {
        return driver.#value(slot);
      },
    };
  }

  #value(slot: number): Uint8Array {
    const at = slot * STRIDE;
    const numbers = this.#numbers;
    const slab = numbers[at + SLAB]!;
    if (slab === OWN_BUFFER) return this.#largeValues.get(slot)!;
    if (slab === EMPTY) return new Uint8Array(0);
    return this.#arena.view(slab, numbers[at + OFFSET]!, numbers[at + SIZE]!);
  }

  #store(slot: number, record: StoredRecord): void {
    const value = record.value;
    const numbers = this.#numbers;
    const at = slot * STRIDE;
    numbers[at + GENERATION] = record.generation;
    numbers[at + EXPIRES_AT] = record.expiresAt === null ? Number.NaN : record.expiresAt;
    numbers[at + LAST_MODIFIED] = record.lastModified;
    numbers[at + SIZE] = value.byteLength;
    if (value.byteLength > SMALL_VALUE_BYTES) {
      numbers[at + SLAB] = OWN_BUFFER;
      this.#largeValues.set(slot, value);
    } else if (value.byteLength === 0) {
      numbers[at + SLAB] = EMPTY;
    } else {
      numbers[at + SLAB] = this.#arena.append(value);
      numbers[at + OFFSET] = this.#arena.lastOffset;
    }
    if (record.metadata !== null) this.#metadata.set(slot, record.metadata);
    else if (this.#metadata.size > 0) this.#metadata.delete(slot);
    if (record.contentType !== null) this.#contentType.set(slot, record.contentType);
    else if (this.#contentType.size > 0) this.#contentType.delete(slot);
  }

  #releaseValue(slot: number): void {
    const at = slot * STRIDE;
    const slab = this.#numbers[at + SLAB]!;
    if (slab === OWN_BUFFER) this.#largeValues.delete(slot);
    else if (slab !== EMPTY) this.#arena.release(slab, this.#numbers[at + SIZE]!);
  }

  #allocateSlot(): number {
    const reused = this.#freeSlots.pop();
    if (reused !== undefined) return reused;
    if (this.#nextSlot === this.#capacity) this.#grow();
    return this.#nextSlot++;
  }

  #grow(): void {
    const capacity = this.#capacity * 2;
    const grow = <T extends Float64Array | Int32Array | Uint32Array>(old: T, make: new (n: number) => T, width = 1): T => {
      const next = new make(capacity * width);
      next.set(old);
      return next;
    };
    this.#numbers = grow(this.#numbers, Float64Array, STRIDE);
    this.#capacity = capacity;
  }

  /** Copies every live slab value into a fresh arena; the old slabs go once no handed-out view holds them. */
  #compact(): void {
    const old = this.#arena;
    const arena = new SlabArena();
    const numbers = this.#numbers;
    for (const slot of this.#slots.values()) {
      const at = slot * STRIDE;
      const slab = numbers[at + SLAB]!;
      if (slab < 0) continue;
      numbers[at + SLAB] = arena.append(old.view(slab, numbers[at + OFFSET]!, numbers[at + SIZE]!));
      numbers[at + OFFSET] = arena.lastOffset;
    }
    this.#arena = arena;
  }
}

/**
 * Append-only byte slabs. `append` copies bytes into the current slab (a new one when it is full)
 * and returns the slab number, with the offset in `lastOffset`. Released bytes are only counted;
 * a slab whose bytes are all released is dropped and its number reused.
 */
class SlabArena {
  #slabs: (Uint8Array | null)[] = [];
  #live: number[] = [];
  #written: number[] = [];
  #freeNumbers: number[] = [];
  #current = -1;
  #used = SLAB_BYTES;
  #liveBytes = 0;
  #deadBytes = 0;
  lastOffset = 0;

  append(bytes: Uint8Array): number {
    const length = bytes.byteLength;
    if (this.#used + length > SLAB_BYTES) this.#newSlab();
    const slab = this.#current;
    this.#slabs[slab]!.set(bytes, this.#used);
    this.lastOffset = this.#used;
    this.#used += length;
    this.#live[slab]! += length;
    this.#written[slab]! += length;
    this.#liveBytes += length;
    return slab;
  }

  view(slab: number, offset: number, length: number): Uint8Array {
    return new Uint8Array(this.#slabs[slab]!.buffer, offset, length);
  }

  release(slab: number, length: number): void {
    this.#live[slab]! -= length;
    this.#liveBytes -= length;
    this.#deadBytes += length;
    if (this.#live[slab] === 0 && slab !== this.#current) this.#drop(slab);
  }

  needsCompaction(): boolean {
    return this.#deadBytes > MIN_GARBAGE_BYTES && this.#deadBytes > this.#liveBytes;
  }

  #newSlab(): void {
    const previous = this.#current;
    const slab = this.#freeNumbers.pop() ?? this.#slabs.length;
    this.#slabs[slab] = new Uint8Array(SLAB_BYTES);
    this.#live[slab] = 0;
    this.#written[slab] = 0;
    this.#current = slab;
    this.#used = 0;
    // The slab just left may already be empty (every value in it overwritten).
    if (previous >= 0 && this.#live[previous] === 0) this.#drop(previous);
  }

  /** Nothing refers to `slab` any more: forget it (its dead bytes go with it) and reuse its number. */
  #drop(slab: number): void {
    this.#deadBytes -= this.#written[slab]!;
    this.#slabs[slab] = null;
    this.#freeNumbers.push(slab);
  }
}
