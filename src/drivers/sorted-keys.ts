import { compareUtf8 } from "../utf8.js";

const MAX_CHUNK = 512;
/** Chunk size of a bulk merge: half full, like a split leaves them, so later inserts do not split at once. */
const BULK_CHUNK = MAX_CHUNK >> 1;

/**
 * JavaScript's `<` on strings compares UTF-16 code units, which agrees with UTF-8 byte order except
 * when both strings have a unit >= U+D800 at the first position where they differ. A probe key with
 * no such unit therefore compares correctly against any key with the engine's native comparison,
 * which is several times faster than a JS loop; other keys use compareUtf8.
 */
const HIGH_UNIT = /[\ud800-\uffff]/;

/** What `collect` returns: keys in order and, for each, the number it was inserted with. */
export interface Collected {
  keys: string[];
  slots: number[];
}

/**
 * An ordered set of strings in UTF-8 byte order, each carrying a number (the memory driver keeps
 * its record slot there): a list of sorted chunks of at most 512 keys plus the last key of each
 * chunk. Insert and remove are O(log n + 512); a range read is O(log n + page) and touches neither
 * the key strings of the page (a prefix range is bounded by two binary searches) nor anything
 * outside the chunks, so its cost barely grows with the store.
 */
export class SortedKeys {
  #chunks: string[][] = [];
  #slots: number[][] = [];
  #lasts: string[] = [];
  #size = 0;
  /** Reused by every `collect` (a list call then allocates only what it returns). */
  #collected: Collected = { keys: [], slots: [] };

  get size(): number {
    return this.#size;
  }

  /** Adds `key`, which must not be present, with the number `slot`. */
  insert(key: string, slot = 0): void {
    this.#size++;
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#slots.push([slot]);
      this.#lasts.push(key);
      return;
    }
    const native = !HIGH_UNIT.test(key);
    let c = firstAtLeast(this.#lasts, key, native);
    if (c === this.#chunks.length) c--; // beyond every key: append to the last chunk
    const chunk = this.#chunks[c]!;
    const slots = this.#slots[c]!;
    const at = firstAtLeast(chunk, key, native);
    if (at === chunk.length) {
      chunk.push(key);
      slots.push(slot);
      this.#lasts[c] = key;
    } else {
      chunk.splice(at, 0, key);
      slots.splice(at, 0, slot);
    }
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(MAX_CHUNK >> 1);
      this.#chunks.splice(c + 1, 0, upper);
      this.#slots.splice(c + 1, 0, slots.splice(MAX_CHUNK >> 1));
      this.#lasts.splice(c, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    }
  }

  /** Removes `key`, which must be present. */
  remove(key: string): void {
    const native = !HIGH_UNIT.test(key);
    const c = firstAtLeast(this.#lasts, key, native);
    const chunk = this.#chunks[c];
    if (!chunk) return;
    const at = firstAtLeast(chunk, key, native);
    if (chunk[at] !== key) return;
    this.#size--;
    chunk.splice(at, 1);
    this.#slots[c]!.splice(at, 1);
    if (chunk.length === 0) {
      this.#chunks.splice(c, 1);
      this.#slots.splice(c, 1);
      this.#lasts.splice(c, 1);
    } else if (at === chunk.length) {
      this.#lasts[c] = chunk[chunk.length - 1]!;
    }
  }

  /**
   * Adds `keys` — none present, in UTF-8 byte order — with their numbers `slots` (same order), in
   * one pass that merges them with the keys already held: O(n + k) instead of k inserts.
   */
  merge(keys: readonly string[], slots: readonly number[]): void {
    if (keys.length === 0) return;
    const chunks: string[][] = [];
    const chunkSlots: number[][] = [];
    const lasts: string[] = [];
    let chunk: string[] = [];
    let numbers: number[] = [];
    const flush = () => {
      chunks.push(chunk);
      chunkSlots.push(numbers);
      lasts.push(chunk[chunk.length - 1]!);
      chunk = [];
      numbers = [];
    };
    let k = 0;
    let next = keys[0]!;
    let nextNative = !HIGH_UNIT.test(next);
    for (let c = 0; c < this.#chunks.length; c++) {
      const old = this.#chunks[c]!;
      const oldSlots = this.#slots[c]!;
      for (let i = 0; i < old.length; i++) {
        const key = old[i]!;
        while (k < keys.length && less(next, key, nextNative)) {
          chunk.push(next);
          numbers.push(slots[k]!);
          if (chunk.length === BULK_CHUNK) flush();
          if (++k < keys.length) {
            next = keys[k]!;
            nextNative = !HIGH_UNIT.test(next);
          }
        }
        chunk.push(key);
        numbers.push(oldSlots[i]!);
        if (chunk.length === BULK_CHUNK) flush();
      }
    }
    for (; k < keys.length; k++) {
      chunk.push(keys[k]!);
      numbers.push(slots[k]!);
      if (chunk.length === BULK_CHUNK) flush();
    }
    if (chunk.length > 0) flush();
    this.#chunks = chunks;
    this.#slots = chunkSlots;
    this.#lasts = lasts;
    this.#size += keys.length;
  }

  clear(): void {
    this.#chunks = [];
    this.#slots = [];
    this.#lasts = [];
    this.#size = 0;
  }

  /**
   * Up to `limit` keys in order that start with `prefix`, beginning at the first key >= `from`
   * (or > `from` when `exclusive`), with their numbers. `from` must be >= `prefix`. The arrays
   * returned are reused by the next call: read them before calling again.
   */
  collect(from: string, exclusive: boolean, prefix: string, limit: number): Collected {
    const out = this.#collected;
    const { keys, slots } = out;
    keys.length = 0;
    slots.length = 0;
    const chunks = this.#chunks;
    const native = !HIGH_UNIT.test(from);
    let c = exclusive ? firstAbove(this.#lasts, from, native) : firstAtLeast(this.#lasts, from, native);
    if (c >= chunks.length || limit <= 0) return out;
    let chunk = chunks[c]!;
    let i = exclusive ? firstAbove(chunk, from, native) : firstAtLeast(chunk, from, native);
    // Keys with the prefix form one run: find where it ends instead of testing every key (exotic
    // prefixes, with units >= U+D800, test each key).
    const end = prefix.length > 0 && !HIGH_UNIT.test(prefix) ? prefixEnd(prefix) : null;
    const testEach = prefix.length > 0 && end === null;
    const endNative = end !== null && !HIGH_UNIT.test(end);
    for (;;) {
      let stop = chunk.length;
      let last = false;
      if (end !== null && !less(chunk[stop - 1]!, end, endNative)) {
        stop = firstAtLeast(chunk, end, endNative);
        last = true;
      }
      const chunkSlots = this.#slots[c]!;
      for (; i < stop; i++) {
        const key = chunk[i]!;
        if (testEach && !key.startsWith(prefix)) return out;
        keys.push(key);
        if (slots.push(chunkSlots[i]!) >= limit) return out;
      }
      if (last || ++c >= chunks.length) return out;
      chunk = chunks[c]!;
      i = 0;
    }
  }

  /**
   * Calls `visit` for keys in order, starting at the first key >= `from` (or > `from` when
   * `exclusive`), until it returns false or the keys run out.
   */
  forEachFrom(from: string, exclusive: boolean, visit: (key: string) => boolean): void {
    const native = !HIGH_UNIT.test(from);
    let c = exclusive ? firstAbove(this.#lasts, from, native) : firstAtLeast(this.#lasts, from, native);
    if (c >= this.#chunks.length) return;
    let chunk = this.#chunks[c]!;
    let i = exclusive ? firstAbove(chunk, from, native) : firstAtLeast(chunk, from, native);
    for (;;) {
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
      if (++c >= this.#chunks.length) return;
      chunk = this.#chunks[c]!;
      i = 0;
    }
  }
}

/**
 * Sorts `slots` in place by their keys (`keyOf`) in UTF-8 byte order: the engine's native string
 * comparison unless a key has a unit >= U+D800. Returns the keys in that order.
 */
export function sortByKey(slots: number[], keyOf: readonly (string | undefined)[]): string[] {
  let native = true;
  for (const slot of slots) {
    if (HIGH_UNIT.test(keyOf[slot]!)) {
      native = false;
      break;
    }
  }
  if (native) {
    slots.sort((a, b) => {
      const x = keyOf[a]!;
      const y = keyOf[b]!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  } else slots.sort((a, b) => compareUtf8(keyOf[a]!, keyOf[b]!));
  return slots.map((slot) => keyOf[slot]!);
}

/**
 * The smallest string above every string that starts with `prefix` in UTF-8 byte order, for a
 * prefix without units >= U+D800: the prefix with its last unit replaced by the next code point.
 */
function prefixEnd(prefix: string): string {
  const last = prefix.charCodeAt(prefix.length - 1);
  return prefix.slice(0, -1) + String.fromCharCode(last === 0xd7ff ? 0xe000 : last + 1);
}

function less(a: string, b: string, native: boolean): boolean {
  return native ? a < b : compareUtf8(a, b) < 0;
}

/** Index of the first key >= `key` (keys.length if none). `native`: `key` has no unit >= U+D800. */
function firstAtLeast(keys: string[], key: string, native: boolean): number {
  let lo = 0;
  let hi = keys.length;
  if (native) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
  }
  return lo;
}

/** Index of the first key > `key` (keys.length if none). */
function firstAbove(keys: string[], key: string, native: boolean): number {
  let lo = 0;
  let hi = keys.length;
  if (native) {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
  } else {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(keys[mid]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
  }
  return lo;
}
