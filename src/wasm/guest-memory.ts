/**
 * Reads and writes the guest's linear memory. The guest may grow its memory during any call, which
 * detaches the old ArrayBuffer, so views are re-created whenever the buffer changed.
 */
import { Status } from "./abi.js";

const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder("utf-8");
const utf8Strict = new TextDecoder("utf-8", { fatal: true });

/** A pointer or length outside the guest's memory (the host answers INVAL, as wiggle does). */
export class GuestMemoryError extends Error {}

export class GuestMemory {
  #memory: WebAssembly.Memory | null = null;
  #buffer: ArrayBuffer | null = null;
  #bytes = new Uint8Array(0);
  #view = new DataView(new ArrayBuffer(0));

  attach(memory: WebAssembly.Memory): void {
    this.#memory = memory;
    this.#buffer = null;
  }

  #refresh(): void {
    const buffer = this.#memory!.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#bytes = new Uint8Array(buffer);
      this.#view = new DataView(buffer);
    }
  }

  #check(ptr: number, len: number): void {
    this.#refresh();
    if (ptr < 0 || len < 0 || ptr + len > this.#bytes.byteLength) {
      throw new GuestMemoryError(`guest pointer ${ptr}+${len} is outside memory (${this.#bytes.byteLength} bytes)`);
    }
  }

  /** A copy of `len` bytes at `ptr`. */
  bytes(ptr: number, len: number): Uint8Array {
    this.#check(ptr >>> 0, len >>> 0);
    return this.#bytes.slice(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  /** A view (no copy) of `len` bytes at `ptr`; valid until the guest runs again. */
  view(ptr: number, len: number): Uint8Array {
    this.#check(ptr >>> 0, len >>> 0);
    return this.#bytes.subarray(ptr >>> 0, (ptr >>> 0) + (len >>> 0));
  }

  /** Bytes as a string with one char per byte (header names and values keep their exact bytes). */
  latin1(ptr: number, len: number): string {
    return latin1.decode(this.view(ptr, len));
  }

  /** UTF-8 text; invalid sequences become U+FFFD. */
  utf8(ptr: number, len: number): string {
    return utf8.decode(this.view(ptr, len));
  }

  /** UTF-8 text, or null when the bytes are not valid UTF-8 (wiggle's `GuestPtr<str>` check). */
  utf8Strict(ptr: number, len: number): string | null {
    try {
      return utf8Strict.decode(this.view(ptr, len));
    } catch {
      return null;
    }
  }

  u32(ptr: number): number {
    this.#check(ptr >>> 0, 4);
    return this.#view.getUint32(ptr >>> 0, true);
  }

  u64(ptr: number): bigint {
    this.#check(ptr >>> 0, 8);
    return this.#view.getBigUint64(ptr >>> 0, true);
  }

  setU8(ptr: number, value: number): void {
    this.#check(ptr >>> 0, 1);
    this.#view.setUint8(ptr >>> 0, value);
  }

  setU16(ptr: number, value: number): void {
    this.#check(ptr >>> 0, 2);
    this.#view.setUint16(ptr >>> 0, value, true);
  }

  setU32(ptr: number, value: number): void {
    this.#check(ptr >>> 0, 4);
    this.#view.setUint32(ptr >>> 0, value >>> 0, true);
  }

  setI64(ptr: number, value: bigint | number): void {
    this.#check(ptr >>> 0, 8);
    this.#view.setBigInt64(ptr >>> 0, BigInt(value), true);
  }

  setU64(ptr: number, value: bigint | number): void {
    this.#check(ptr >>> 0, 8);
    this.#view.setBigUint64(ptr >>> 0, BigInt(value), true);
  }

  write(ptr: number, data: Uint8Array): void {
    this.#check(ptr >>> 0, data.byteLength);
    this.#bytes.set(data, ptr >>> 0);
  }

  /**
   * The ABI's buffer convention for one value: when `data` fits in `maxLen` bytes it is copied to
   * `ptr` and its length written to `nwrittenPtr` (OK); otherwise the needed length is written to
   * `nwrittenPtr` and BUFLEN returned, so the guest can retry with a larger buffer.
   */
  writeOut(data: Uint8Array, ptr: number, maxLen: number, nwrittenPtr: number): number {
    if (data.byteLength > maxLen >>> 0) {
      this.setU32(nwrittenPtr, data.byteLength);
      return Status.BUFLEN;
    }
    this.write(ptr, data);
    this.setU32(nwrittenPtr, data.byteLength);
    return Status.OK;
  }

  /**
   * The ABI's multi-value convention (Viceroy's `MultiValueWriter`): values from `cursor` on, each
   * followed by a NUL, as many as fit in `bufLen`; `ending_cursor` is -1 when every value was
   * written, else the index of the first one left out. When not even one value fits, its needed
   * length is written to `nwrittenPtr` and BUFLEN returned (ending cursor -1).
   */
  writeMultiValue(values: readonly Uint8Array[], bufPtr: number, bufLen: number, cursor: number, endingCursorPtr: number, nwrittenPtr: number): number {
    let offset = 0;
    let index = cursor >>> 0;
    let finished = true;
    const chunks: [number, Uint8Array][] = [];
    for (; index < values.length; index++) {
      const value = values[index]!;
      if (offset + value.byteLength + 1 > bufLen >>> 0) {
        if (offset === 0) {
          this.setU32(nwrittenPtr, value.byteLength + 1);
          if (endingCursorPtr !== 0) this.setI64(endingCursorPtr, -1n);
          return Status.BUFLEN;
        }
        finished = false;
        break;
      }
      chunks.push([offset, value]);
      offset += value.byteLength + 1;
    }
    for (const [at, value] of chunks) {
      this.write(bufPtr + at, value);
      this.setU8(bufPtr + at + value.byteLength, 0);
    }
    if (endingCursorPtr !== 0) this.setI64(endingCursorPtr, finished ? -1n : BigInt(index));
    this.setU32(nwrittenPtr, offset);
    return Status.OK;
  }
}

const encoder = new TextEncoder();
export function utf8Bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A latin1 string (one char per byte) back to its bytes. */
export function latin1Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
