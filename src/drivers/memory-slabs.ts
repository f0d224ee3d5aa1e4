/**
 * Append-only byte slabs for the memory driver's small values. `append` copies bytes into the current
 * slab (a new one when it is full) and returns the slab number, with the offset in `lastOffset`.
 * A region is written once and never reused, so a view handed out never changes. Released bytes are
 * only counted; a slab whose bytes are all released is dropped and its number reused.
 */
export const SLAB_BYTES = 256 * 1024;
/** Compaction runs when dead slab bytes exceed both this and the live slab bytes. */
const MIN_GARBAGE_BYTES = 8 * 1024 * 1024;

export class SlabArena {
  #slabs: (Uint8Array | null)[] = [];
  /** Each slab's ArrayBuffer, kept so a view needs no `.buffer` read (a runtime call in V8). */
  #buffers: (ArrayBuffer | null)[] = [];
  #live: number[] = [];
  #written: number[] = [];
  #freeNumbers: number[] = [];
  #current = -1;
  #used = SLAB_BYTES;
  #liveBytes = 0;
  #deadBytes = 0;
  lastOffset = 0;

  append(bytes: Uint8Array): number {
    const length = bytes.length; // Uint8Array: length is byteLength, and V8 reads it faster
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
    return new Uint8Array(this.#buffers[slab]!, offset, length);
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
    const buffer = new ArrayBuffer(SLAB_BYTES);
    this.#buffers[slab] = buffer;
    this.#slabs[slab] = new Uint8Array(buffer);
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
    this.#buffers[slab] = null;
    this.#freeNumbers.push(slab);
  }
}
