import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareUtf8, decodeCursor, encodeCursor } from "edge-kv";
import { encodeUtf8Transient } from "../../src/utf8.js";
import { byUtf8Bytes } from "../contract/driver-contract.js";

describe("UTF-8 ordering and cursors", () => {
  it("compareUtf8 agrees with comparing UTF-8 encodings byte by byte", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string({ unit: "grapheme" }), (a, b) => {
        expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(byUtf8Bytes(a, b)));
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it("orders U+E000 before U+1F600 although UTF-16 order says otherwise", () => {
    expect("\uE000" > "\u{1F600}").toBe(true);
    expect(compareUtf8("\uE000", "\u{1F600}")).toBeLessThan(0);
  });

  it("cursors round-trip every well-formed key", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", minLength: 1 }), (key) => {
        expect(decodeCursor(encodeCursor(key))).toBe(key);
      }),
      { seed: 7, numRuns: 1000 },
    );
  });

  it("encodes cursors as standard padded base64", () => {
    expect(encodeCursor("k1")).toBe("azE=");
    expect(encodeCursor("\u{1F600}")).toBe("8J+YgA==");
    expect(encodeCursor("a\u007f")).toBe("YX8=");
    expect(encodeCursor("a\u0080")).toBe("YcKA");
  });

  it("a cursor is the base64 of the key's UTF-8 bytes, for ASCII keys (btoa) and others alike", () => {
    const utf8Base64 = (key: string) => btoa(String.fromCharCode(...new TextEncoder().encode(key)));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: fc.integer({ min: 0, max: 0x7f }).map((c) => String.fromCharCode(c)), minLength: 1 }), fc.string({ unit: "grapheme", minLength: 1 })), (key) => {
        expect(encodeCursor(key)).toBe(utf8Base64(key));
      }),
      { seed: 11, numRuns: 1000 },
    );
  });
});

describe("encodeUtf8Transient (the pooled encoding of put values)", () => {
  const reference = new TextEncoder();
  /** Whether `bytes` are exactly `text`'s UTF-8 (lone surrogates as U+FFFD), as TextEncoder gives them. */
  const encodes = (bytes: Uint8Array, text: string): boolean => {
    const expected = reference.encode(text);
    return bytes.length === expected.length && bytes.every((byte, i) => byte === expected[i]);
  };

  it("gives TextEncoder's bytes for any string, lone surrogates included, and every view keeps its bytes across pool refills", () => {
    const handed: { text: string; bytes: Uint8Array }[] = [];
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 12 }), fc.integer({ min: 0, max: 120 }), (piece, times) => {
        const text = piece.repeat(times);
        const bytes = encodeUtf8Transient(text);
        expect(encodes(bytes, text)).toBe(true);
        handed.push({ text, bytes });
      }),
      { seed: 11, numRuns: 600 },
    );
    // The strings fill several 64 KiB pools; nothing handed out was overwritten since.
    expect(handed.reduce((sum, { bytes }) => sum + bytes.byteLength, 0)).toBeGreaterThan(3 * 64 * 1024);
    expect(handed.filter(({ text, bytes }) => !encodes(bytes, text))).toEqual([]);
  });

  it("handles the empty string, strings whose worst case just fits the pool's rest, and strings too long for the pool", () => {
    const handed: [string, Uint8Array][] = [];
    for (let round = 0; round < 60; round++) {
      for (const text of ["", "é".repeat(round), "x".repeat(1365), "\u{1F600}".repeat(700), "y".repeat(1366), "v".repeat(100)]) handed.push([text, encodeUtf8Transient(text)]);
    }
    expect(handed.filter(([text, bytes]) => !encodes(bytes, text)).map(([text]) => text.slice(0, 4))).toEqual([]);
    expect(encodeUtf8Transient("")).toHaveLength(0);
  });
});
