import { compareUtf8 } from "../utf8.js";

const MAX_CHUNK = 512;

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
    let c = this.#chunkFor(key);
    if (c === this.#chunks.length) c--; // beyond every key: append to the last chunk
    const chunk = this.#chunks[c]!;
    const at = lowerBound(chunk, key);
    chunk.splice(at, 0, key);
    if (at === chunk.length - 1) this.#lasts[c] = key;
    if (chunk.length > MAX_CHUNK) {
      const upper = chunk.splice(MAX_CHUNK >> 1);
      this.#chunks.splice(c + 1, 0, upper);
      this.#lasts.splice(c, 1, chunk[chunk.length - 1]!, upper[upper.length - 1]!);
    }
  }

  /** Removes `key`, which must be present. */
  remove(key: string): void {
    const c = this.#chunkFor(key);
    const chunk = this.#chunks[c];
    if (!chunk) return;
    const at = lowerBound(chunk, key);
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
   * Calls `visit` for keys in order, starting at the first key >= `from` (or > `from` when
   * `exclusive`), until it returns false or the keys run out.
   */
  forEachFrom(from: string, exclusive: boolean, visit: (key: string) => boolean): void {
    let c = exclusive ? this.#chunkAfter(from) : this.#chunkFor(from);
    if (c >= this.#chunks.length) return;
    let chunk = this.#chunks[c]!;
    let i = exclusive ? upperBound(chunk, from) : lowerBound(chunk, from);
    for (;;) {
      for (; i < chunk.length; i++) if (!visit(chunk[i]!)) return;
      if (++c >= this.#chunks.length) return;
      chunk = this.#chunks[c]!;
      i = 0;
    }
  }

  /** Index of the first chunk whose last key is >= key (chunks.length if none). */
  #chunkFor(key: string): number {
    let lo = 0;
    let hi = this.#lasts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.#lasts[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first chunk whose last key is > key. */
  #chunkAfter(key: string): number {
    let lo = 0;
    let hi = this.#lasts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.#lasts[mid]!, key) <= 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareUtf8(keys[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
