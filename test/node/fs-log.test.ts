import { describe, expect, it } from "vitest";
import { crc32, crc32Portable, decodePut, encodeDelete, encodePut, parseRecord } from "../../src/node/fs-log.js";

const enc = (text: string) => new TextEncoder().encode(text);

describe("log records", () => {
  it("checksums with CRC-32 (IEEE), natively and in the portable fallback alike", () => {
    const bytes = enc("123456789");
    expect(crc32(bytes)).toBe(0xcbf43926);
    expect(crc32Portable(bytes)).toBe(0xcbf43926);
    const big = new Uint8Array(100_003).map((_, i) => (i * 131) & 0xff);
    expect(crc32(big, 7, 99_000)).toBe(crc32Portable(big, 7, 99_000));
  });

  it("round-trips every field of a put, and reads a delete's key", () => {
    const record = { value: enc("value"), metadata: new Uint8Array([0, 255]), generation: 1_700_000_000_000_123, expiresAt: 42.5, lastModified: 7, contentType: "text/plain" };
    const bytes = encodePut("k\u{1F600}", record);
    const parsed = parseRecord(bytes, 0);
    expect(parsed).toEqual({ status: "ok", summary: { kind: 1, key: "k\u{1F600}", generation: record.generation, expiresAt: 42.5, lastModified: 7, valueSize: 5, length: bytes.byteLength } });
    const decoded = decodePut(bytes);
    expect(decoded.key).toBe("k\u{1F600}");
    expect({ ...decoded.record, value: Array.from(decoded.record.value), metadata: Array.from(decoded.record.metadata!) }).toEqual({ ...record, value: Array.from(record.value), metadata: [0, 255] });
    expect(parseRecord(encodeDelete("gone"), 0)).toMatchObject({ status: "ok", summary: { kind: 2, key: "gone" } });
  });

  it("keeps 'no metadata', 'no expiry' and 'no content type' apart from empty or zero ones", () => {
    const empty = decodePut(encodePut("k", { value: enc(""), metadata: new Uint8Array(0), generation: 1, expiresAt: 0, lastModified: 0, contentType: "" })).record;
    expect([empty.metadata?.byteLength, empty.expiresAt, empty.contentType]).toEqual([0, 0, ""]);
    const none = decodePut(encodePut("k", { value: enc(""), metadata: null, generation: 1, expiresAt: null, lastModified: 0, contentType: null })).record;
    expect([none.metadata, none.expiresAt, none.contentType]).toEqual([null, null, null]);
  });

  it("tells a record cut short from a damaged one", () => {
    const bytes = encodePut("key", { value: enc("some value"), metadata: null, generation: 1, expiresAt: null, lastModified: 0, contentType: null });
    expect(parseRecord(bytes.subarray(0, 5), 0)).toEqual({ status: "incomplete", needed: 8 });
    expect(parseRecord(bytes.subarray(0, bytes.byteLength - 1), 0)).toEqual({ status: "incomplete", needed: bytes.byteLength });
    const flipped = bytes.slice();
    flipped[bytes.byteLength - 1]! ^= 1;
    expect(parseRecord(flipped, 0)).toEqual({ status: "corrupt", reason: "checksum mismatch", length: bytes.byteLength });
    expect(parseRecord(new Uint8Array(16), 0)).toEqual({ status: "corrupt", reason: "impossible record length 0", length: 8 });
  });
});
