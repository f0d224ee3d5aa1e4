import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compareUtf8, decodeCursor, encodeCursor } from "edge-kv";
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
