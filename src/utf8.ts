/**
 * UTF-8 helpers shared by validation, ordering and cursors. Keys are compared by their UTF-8 bytes
 * (the order Fastly lists them in), which equals Unicode code point order and differs from
 * JavaScript's UTF-16 `<` only when a surrogate pair meets a character in U+E000–U+FFFF.
 */

const encoder = new TextEncoder();
// Typed loosely: some runtime type packages (Fastly's globals) declare a one-argument TextDecoder.
// ignoreBOM everywhere: a default TextDecoder drops a leading U+FEFF, which is data here (a key, a value).
const Decoder = TextDecoder as new (label: string, options: object) => TextDecoder;
const strictDecoder: TextDecoder = new Decoder("utf-8", { fatal: true, ignoreBOM: true });
const lossyDecoder: TextDecoder = new Decoder("utf-8", { ignoreBOM: true });

export function encodeUtf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

const POOL_BYTES = 64 * 1024;
let poolBuffer = new ArrayBuffer(POOL_BYTES);
let poolUsed = 0;

/**
 * Like encodeUtf8, for short-lived bytes: short strings are encoded into a shared, append-only 64 KiB
 * pool and a view of it is returned (bytes in the pool are never rewritten, so the view never changes).
 * Only for bytes that are copied or serialized before anyone could keep them: `KVStore.put` values,
 * which every driver copies (the memory driver into its slabs) or writes out. Never for metadata or
 * anything a caller may hold on to, since a view keeps its whole pool alive.
 */
export function encodeUtf8Transient(text: string): Uint8Array<ArrayBuffer> {
  const maxBytes = text.length * 3;
  if (maxBytes > 4096) return encoder.encode(text) as Uint8Array<ArrayBuffer>;
  if (poolUsed + maxBytes > POOL_BYTES) {
    poolBuffer = new ArrayBuffer(POOL_BYTES);
    poolUsed = 0;
  }
  // A view made with the constructor, not `pool.subarray(poolUsed)`: subarray looks up the species
  // constructor and costs ~40 ns more per call.
  const { written } = encoder.encodeInto(text, new Uint8Array(poolBuffer, poolUsed, maxBytes));
  const view = new Uint8Array(poolBuffer, poolUsed, written);
  poolUsed += written;
  return view;
}

/** Number of bytes `text` takes in UTF-8 (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

// String.prototype.toWellFormed exists from Node 20 / Chrome 111; the fallback keeps older engines working.
const hasNativeToWellFormed = typeof (String.prototype as { toWellFormed?: unknown }).toWellFormed === "function";

/** Replaces lone surrogates by U+FFFD, as UTF-8 encoding on Compute does. */
export function toWellFormed(text: string): string {
  // A direct method call (V8 inlines it: ~12 ns for a 30-character key) rather than `.call` on the
  // looked-up function (~54 ns), which every key of every operation paid.
  if (hasNativeToWellFormed) return (text as string & { toWellFormed(): string }).toWellFormed();
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** Compares two well-formed strings in UTF-8 byte order: negative, zero or positive. */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return codePointRank(x) - codePointRank(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

// Surrogates (D800–DFFF) encode code points above FFFF, so they must sort after E000–FFFF.
function codePointRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  return unit + 0x2000;
}

/**
 * Strict UTF-8 decoding, as the Compute runtime does it: invalid bytes are an error, not U+FFFD, and
 * the error is the runtime's (decodingError).
 */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  try {
    return strictDecoder.decode(bytes);
  } catch {
    throw decodingError(bytes);
  }
}

/** SpiderMonkey's InternalError class ("buffer too small"), which V8 lacks: an Error by that name. */
class InternalError extends Error {}
Object.defineProperty(InternalError.prototype, "name", { value: "InternalError", writable: true, configurable: true });

/**
 * The error the runtime (SpiderMonkey's UTF-8 inflation, as @fastly/js-compute 3.46 runs it) throws for
 * bytes that are not UTF-8, found by running the real runtime (test/wasm/fuzz-differential.test.ts):
 * walking left to right, a bad lead byte or a bad continuation is TypeError "malformed UTF-8 character
 * sequence at offset <lead>"; a lead byte that ends the input, or a sequence whose bytes are good but
 * two or more short, is InternalError "buffer too small" (one byte short reads as malformed); a 2-byte
 * overlong form or a code point above U+10FFFF is TypeError "UTF-8 character 0x<value> too large"
 * (0xffffffff for the overlong form).
 */
export function decodingError(bytes: Uint8Array): Error {
  const malformed = (at: number) => new TypeError(`malformed UTF-8 character sequence at offset ${at}`);
  for (let i = 0; i < bytes.length; i++) {
    const lead = bytes[i]!;
    if (lead < 0x80) continue;
    let n = 1;
    while (n < 8 && lead & (0x80 >> n)) n++;
    if (n < 2 || n > 4) return malformed(i);
    const available = bytes.length - i - 1;
    if (available === 0) return new InternalError("buffer too small");
    const second = bytes[i + 1]!;
    if ((lead === 0xe0 && (second & 0xe0) !== 0xa0) || (lead === 0xed && (second & 0xe0) !== 0x80) || (lead === 0xf0 && (second & 0xf0) === 0x80) || (lead === 0xf4 && (second & 0xf0) !== 0x80)) {
      return malformed(i);
    }
    let codePoint = lead & (0x7f >> n);
    for (let m = 1; m < n && m <= available; m++) {
      const unit = bytes[i + m]!;
      if ((unit & 0xc0) !== 0x80) return malformed(i);
      codePoint = (codePoint << 6) | (unit & 0x3f);
    }
    if (available < n - 2) return new InternalError("buffer too small");
    if (available < n - 1) return malformed(i);
    if (codePoint < [0, 0, 0x80, 0x800, 0x10000][n]!) return new TypeError("UTF-8 character 0xffffffff too large");
    if (codePoint > 0x10ffff) return new TypeError(`UTF-8 character 0x${codePoint.toString(16)} too large`);
    i += n - 1;
  }
  return malformed(firstInvalidUtf8Offset(bytes)); // not reached for bytes a strict decoder refused
}

/** UTF-8 for display: a leading U+FEFF is kept, bytes that are not UTF-8 become U+FFFD. */
export function decodeUtf8Lossy(bytes: Uint8Array): string {
  return lossyDecoder.decode(bytes);
}

export function isValidUtf8(bytes: Uint8Array): boolean {
  return firstInvalidUtf8Offset(bytes) === -1;
}

/** Offset of the first byte that starts an invalid UTF-8 sequence, or -1. */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (lead >= 0xc2 && lead <= 0xdf) [need, min] = [1, 0x80];
    else if (lead >= 0xe0 && lead <= 0xef) [need, min] = [2, 0x800];
    else if (lead >= 0xf0 && lead <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    let codePoint = lead & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const cont = bytes[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) return i;
      codePoint = (codePoint << 6) | (cont & 0x3f);
    }
    if (codePoint < min || codePoint > 0x10ffff || (codePoint >= 0xd800 && codePoint <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < BASE64.length; i++) BASE64_INDEX[BASE64.charCodeAt(i)] = i;

/** Standard base64 with padding (what Fastly uses for list cursors and batch values). */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = "";
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + BASE64[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += BASE64[n >> 18]! + BASE64[(n >> 12) & 63]! + BASE64[(n >> 6) & 63]! + "=";
  }
  return out;
}

/** Decodes standard base64 (padding optional); returns null for anything that is not base64. */
export function base64ToBytes(text: string): Uint8Array<ArrayBuffer> | null {
  const clean = text.endsWith("==") ? text.slice(0, -2) : text.endsWith("=") ? text.slice(0, -1) : text;
  if (clean.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < clean.length; i++) {
    const code = clean.charCodeAt(i);
    const value = code < 128 ? BASE64_INDEX[code]! : -1;
    if (value < 0) return null;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (buffer >> bits) & 0xff;
    }
  }
  if (text.length % 4 !== 0 && text.includes("=")) return null;
  return out;
}
