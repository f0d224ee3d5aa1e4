/**
 * The byte format of a store's log segment (docs/filesystem.md describes it for humans).
 *
 *   segment = header record*
 *   header  = "EDGEKVL1" (8 bytes) · sequence number (float64 LE)
 *   record  = body length (uint32 LE) · CRC-32 of body (uint32 LE) · body
 *   body    = kind (u8) · flags (u8) · key length (u16) · metadata length (u32) · content-type length (u32)
 *             · value length (u32) · generation (f64) · expiresAt (f64) · lastModified (f64)
 *             · key · metadata · content type · value          (all numbers little-endian)
 *
 * Kinds: 1 put (a whole StoredRecord), 2 delete (key only), 3 seal (the segment is finished; the
 * generation field holds the next segment's sequence number). A record is valid only when its whole
 * body is present and its checksum matches, so a write cut short by a crash is never mistaken for data.
 */
import * as zlib from "node:zlib";
import type { StoredRecord } from "../drivers/driver.js";

export const SEGMENT_MAGIC = "EDGEKVL1";
export const SEGMENT_HEADER_BYTES = 16;
export const RECORD_HEADER_BYTES = 8;
export const BODY_FIXED_BYTES = 40;
/** Larger than any record the core can produce (25 MB value cap, 1024-byte key, small metadata). */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export const Kind = { Put: 1, Delete: 2, Seal: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const FLAG_METADATA = 1;
const FLAG_EXPIRES = 2;
const FLAG_CONTENT_TYPE = 4;

const encoder = new TextEncoder();
// Keys and content types are stored as the UTF-8 of well-formed strings: decode them exactly.
// ignoreBOM keeps a leading U+FEFF (a default decoder drops it, turning "\uFEFFk" into "k");
// fatal makes bytes that are not UTF-8 an error instead of U+FFFD, which could merge two keys.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true, fatal: true });

function decodeText(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

const CRC_TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Node's own CRC-32 (zlib, since Node 20.15): several times faster than the table loop on large values. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 (IEEE 802.3, as in zip and PNG). */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return nativeCrc32 ? nativeCrc32(bytes.subarray(start, end)) : crc32Portable(bytes, start, end);
}

/** The same checksum in plain JavaScript, for runtimes whose node:zlib lacks crc32. */
export function crc32Portable(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = -1;
  for (let i = start; i < end; i++) crc = CRC_TABLE[(crc ^ bytes[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

export function encodeSegmentHeader(sequence: number): Uint8Array {
  const out = new Uint8Array(SEGMENT_HEADER_BYTES);
  out.set(encoder.encode(SEGMENT_MAGIC), 0);
  new DataView(out.buffer).setFloat64(8, sequence, true);
  return out;
}

/** The sequence number in a segment header, or null when the bytes are not one. */
export function decodeSegmentHeader(bytes: Uint8Array): number | null {
  if (bytes.byteLength < SEGMENT_HEADER_BYTES) return null;
  if (decodeText(bytes.subarray(0, 8)) !== SEGMENT_MAGIC) return null;
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(8, true);
}

interface RecordFields {
  kind: Kind;
  key: Uint8Array;
  metadata: Uint8Array | null;
  contentType: Uint8Array | null;
  value: Uint8Array;
  generation: number;
  expiresAt: number | null;
  lastModified: number;
}

function encode(fields: RecordFields): Uint8Array {
  const { key, metadata, contentType, value } = fields;
  const bodyLength = BODY_FIXED_BYTES + key.byteLength + (metadata?.byteLength ?? 0) + (contentType?.byteLength ?? 0) + value.byteLength;
  const out = new Uint8Array(RECORD_HEADER_BYTES + bodyLength);
  const view = new DataView(out.buffer);
  const b = RECORD_HEADER_BYTES;
  view.setUint8(b, fields.kind);
  view.setUint8(b + 1, (metadata ? FLAG_METADATA : 0) | (fields.expiresAt !== null ? FLAG_EXPIRES : 0) | (contentType ? FLAG_CONTENT_TYPE : 0));
  view.setUint16(b + 2, key.byteLength, true);
  view.setUint32(b + 4, metadata?.byteLength ?? 0, true);
  view.setUint32(b + 8, contentType?.byteLength ?? 0, true);
  view.setUint32(b + 12, value.byteLength, true);
  view.setFloat64(b + 16, fields.generation, true);
  view.setFloat64(b + 24, fields.expiresAt ?? 0, true);
  view.setFloat64(b + 32, fields.lastModified, true);
  let at = b + BODY_FIXED_BYTES;
  for (const part of [key, metadata, contentType, value]) {
    if (part) {
      out.set(part, at);
      at += part.byteLength;
    }
  }
  view.setUint32(0, bodyLength, true);
  view.setUint32(4, crc32(out, b), true);
  return out;
}

export function encodePut(key: string, record: StoredRecord): Uint8Array {
  return encode({
    kind: Kind.Put,
    key: encoder.encode(key),
    metadata: record.metadata,
    contentType: record.contentType === null ? null : encoder.encode(record.contentType),
    value: record.value,
    generation: record.generation,
    expiresAt: record.expiresAt,
    lastModified: record.lastModified,
  });
}

const EMPTY = new Uint8Array(0);

export function encodeDelete(key: string): Uint8Array {
  return encode({ kind: Kind.Delete, key: encoder.encode(key), metadata: null, contentType: null, value: EMPTY, generation: 0, expiresAt: null, lastModified: 0 });
}

export function encodeSeal(nextSequence: number): Uint8Array {
  return encode({ kind: Kind.Seal, key: EMPTY, metadata: null, contentType: null, value: EMPTY, generation: nextSequence, expiresAt: null, lastModified: 0 });
}

/** What a scan of the log learns from one record without copying its value. */
export interface RecordSummary {
  kind: Kind;
  key: string;
  generation: number;
  expiresAt: number | null;
  lastModified: number;
  valueSize: number;
  /** Record length in bytes, header included. */
  length: number;
}

export type ParseResult =
  | { status: "ok"; summary: RecordSummary }
  /** Not all bytes are there yet (a write in progress, or one cut short by a crash). */
  | { status: "incomplete"; needed: number }
  /** The bytes are there but are not a valid record. */
  | { status: "corrupt"; reason: string; length: number };

/** Parses the record starting at `at` in `bytes` (which holds file bytes from some offset on). */
export function parseRecord(bytes: Uint8Array, at: number): ParseResult {
  const available = bytes.byteLength - at;
  if (available < RECORD_HEADER_BYTES) return { status: "incomplete", needed: RECORD_HEADER_BYTES };
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, available);
  const bodyLength = view.getUint32(0, true);
  if (bodyLength < BODY_FIXED_BYTES || bodyLength > MAX_BODY_BYTES) {
    return { status: "corrupt", reason: `impossible record length ${bodyLength}`, length: RECORD_HEADER_BYTES };
  }
  const length = RECORD_HEADER_BYTES + bodyLength;
  if (available < length) return { status: "incomplete", needed: length };
  const start = at + RECORD_HEADER_BYTES;
  if (crc32(bytes, start, start + bodyLength) !== view.getUint32(4, true)) return { status: "corrupt", reason: "checksum mismatch", length };
  const b = RECORD_HEADER_BYTES;
  const kind = view.getUint8(b) as Kind;
  const flags = view.getUint8(b + 1);
  const keyLength = view.getUint16(b + 2, true);
  const metadataLength = view.getUint32(b + 4, true);
  const contentTypeLength = view.getUint32(b + 8, true);
  const valueSize = view.getUint32(b + 12, true);
  if ((kind !== Kind.Put && kind !== Kind.Delete && kind !== Kind.Seal) || BODY_FIXED_BYTES + keyLength + metadataLength + contentTypeLength + valueSize !== bodyLength) {
    return { status: "corrupt", reason: "inconsistent record fields", length };
  }
  const keyStart = start + BODY_FIXED_BYTES;
  const key = decodeText(bytes.subarray(keyStart, keyStart + keyLength));
  if (key === null) return { status: "corrupt", reason: "key is not valid UTF-8", length };
  const contentTypeStart = keyStart + keyLength + metadataLength;
  if (flags & FLAG_CONTENT_TYPE && decodeText(bytes.subarray(contentTypeStart, contentTypeStart + contentTypeLength)) === null) {
    return { status: "corrupt", reason: "content type is not valid UTF-8", length };
  }
  return {
    status: "ok",
    summary: {
      kind,
      key,
      generation: view.getFloat64(b + 16, true),
      expiresAt: flags & FLAG_EXPIRES ? view.getFloat64(b + 24, true) : null,
      lastModified: view.getFloat64(b + 32, true),
      valueSize,
      length,
    },
  };
}

/** Decodes a whole put record (already checked by parseRecord) into a StoredRecord viewing `bytes` (which the caller must not reuse). */
export function decodePut(bytes: Uint8Array): { key: string; record: StoredRecord } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b = RECORD_HEADER_BYTES;
  const flags = view.getUint8(b + 1);
  const keyLength = view.getUint16(b + 2, true);
  const metadataLength = view.getUint32(b + 4, true);
  const contentTypeLength = view.getUint32(b + 8, true);
  const valueLength = view.getUint32(b + 12, true);
  let at = b + BODY_FIXED_BYTES;
  const take = (n: number) => bytes.subarray(at, (at += n));
  const key = decoder.decode(take(keyLength));
  const metadata = take(metadataLength);
  const contentType = take(contentTypeLength);
  const value = take(valueLength);
  return {
    key,
    record: {
      value,
      metadata: flags & FLAG_METADATA ? metadata : null,
      generation: view.getFloat64(b + 16, true),
      expiresAt: flags & FLAG_EXPIRES ? view.getFloat64(b + 24, true) : null,
      lastModified: view.getFloat64(b + 32, true),
      contentType: flags & FLAG_CONTENT_TYPE ? decoder.decode(contentType) : null,
    },
  };
}
