import { compareUtf8 } from "../utf8.js";

const MAX_CHUNK = 512;

/**
 * JavaScript's `<` on strings compares UTF-16 code units, which agrees with UTF-8 byte order except
 * when both strings have a unit >= U+D800 at the first position where they differ. A probe key with
 * no such unit therefore compares correctly against any key with the engine's native comparison,
 * which is several times faster than a JS loop; other keys use compareUtf8.
 */
const HIGH_UNIT = /[\ud800-\uffff]/;

/**
 * An ordered set of strings in UTF-8 byte order: a list of sorted chunks of at most 512 keys plus
 * the last key of each chunk. Insert and remove are O(log n + 512), a range read is
 * O(log n + page). 1,000,000 keys make about 2,000–4,000 chunks.
 */
export class SortedKeys {
  #chunks: string[][] = [];
  #lasts: string[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Adds `key`, which must not be present. */
  insert(key: string): void {
    this.#size++;
    if (this.#chunks.length === 0) {
      this.#chunks.push([key]);
      this.#lasts.push(key);
      return;
    }
    const native = !HIGH_UNIT.test(key);
    let c = firstAtLeast(this.#lasts, key, native);
    if (c === this.#chunks.length) c--; // beyond every key: append to the last chunk
    const chunk = this.#chunks[c]!;
    const at = firstAtLeast(chunk, key, native);
    if (at === chunk.length) {
      chunk.push(key);
      this.#lasts[c] = key;
    } else chunk.splice(at, 0, key);
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(MAX_CHUNK >> 1);
      this.#chunks.splice(c + 1, 0, upper);
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
    if (chunk.length === 0) {
      this.#chunks.splice(c, 1);
      this.#lasts.splice(c, 1);
    } else if (at === chunk.length) {
      this.#lasts[c] = chunk[chunk.length - 1]!;
    }
  }

  clear(): void {
    this.#chunks = [];
    this.#lasts = [];
    this.#size = 0;
  }

  /**
   * Up to `limit` keys in order that start with `prefix`, beginning at the first key >= `from`
   * (or > `from` when `exclusive`). Keys sharing a prefix are contiguous, so this stops at the first
   * key without it.
   */
  collect(from: string, exclusive: boolean, prefix: string, limit: number): string[] {
    const out: string[] = [];
    const chunks = this.#chunks;
    const native = !HIGH_UNIT.test(from);
    let c = exclusive ? firstAbove(this.#lasts, from, native) : firstAtLeast(this.#lasts, from, native);
    if (c >= chunks.length) return out;
    let chunk = chunks[c]!;
    let i = exclusive ? firstAbove(chunk, from, native) : firstAtLeast(chunk, from, native);
    const checkPrefix = prefix.length > 0;
    for (;;) {
      for (; i < chunk.length; i++) {
        const key = chunk[i]!;
        if (checkPrefix && !key.startsWith(prefix)) return out;
        if (out.push(key) >= limit) return out;
      }
      if (++c >= chunks.length) return out;
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
