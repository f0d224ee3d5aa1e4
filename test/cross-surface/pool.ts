/**
 * Adversarial entries for the cross-surface round trips: keys every surface must carry byte for byte
 * (a BOM a decoder drops, non-characters, U+FFFD from a lone surrogate, NUL and other controls, line and
 * paragraph separators, dot segments, percent and plus signs, normalization pairs, astral characters,
 * the 1024-byte limit in 1-, 2- and 4-byte characters), values (empty, every byte, BOMs, invalid UTF-8,
 * CR/LF) and metadata (CR/LF, blanks at either end, NUL, bytes that are not UTF-8).
 */
const utf8 = (text: string) => new TextEncoder().encode(text);

export const KEYS: string[] = [
  "\uFEFFa", "\uFEFF", "a\uFEFF", "\uFFFE", "\uFFFF", "\uFFFDx", "\u0000", "a\u0000b", "\u2028", "\u2029", "\u0085", "\u00A0",
  "a/./b", "a/../b", "./x", "../x", "a/.", "...", ".well-known/acme-challenge", ".well-known/acme-challengex", "\u{1F600}", "\u{10FFFF}",
  "k".repeat(1024), "é".repeat(512), "\u{1F600}".repeat(256), "é", "e\u0301", "\u00C5", "\u212B", " ", " lead", "trail ", "%", "%2F", "a%2Fb",
  "a/b", "/", "//", "a+b", "a b", "&=", "\t", "\u007F", "\\", '"', "'", "<>", "__proto__", "constructor", "a\u200Bb", "\u{E0001}", "~",
];

export const VALUES: Uint8Array[] = [
  new Uint8Array(0), Uint8Array.from({ length: 256 }, (_, i) => i), utf8("\uFEFFtext"), new Uint8Array([0xef, 0xbb, 0xbf]), new Uint8Array([0xff, 0xfe]),
  utf8("line\r\nbreak\r"), utf8("\u2028\u0000"), new Uint8Array([0xc3]), utf8("plain"),
];

/** null: none. Every other one is stored as given (an empty one is stored as none). */
export const METADATA: (Uint8Array | null)[] = [
  null, utf8("m"), utf8("a\r\nb"), utf8("\n"), utf8(" lead"), utf8("trail "), utf8("\t"), utf8("\uFEFFm"), utf8("\u0000"), new Uint8Array([0xff]),
  new Uint8Array([0xc3, 0x28]), utf8("é\u{1F600}"), utf8("x".repeat(1000)), utf8("\u2028"), utf8("{\"a\":1}"),
];

export interface PoolEntry {
  key: string;
  value: Uint8Array;
  metadata: Uint8Array | null;
}

/** Every key with a value and a metadata, cycling through both pools. */
export const ENTRIES: PoolEntry[] = KEYS.map((key, i) => ({ key, value: VALUES[i % VALUES.length]!, metadata: METADATA[i % METADATA.length]! }));

export function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Rows to compare stores by: key, value bytes, metadata bytes (none for empty), in key byte order. */
export function entryRows(entries: PoolEntry[]): { key: string; value: number[]; metadata: number[] | null }[];
export function entryRows(store: { entries(): Promise<PoolEntry[]> }): Promise<{ key: string; value: number[]; metadata: number[] | null }[]>;
export function entryRows(source: PoolEntry[] | { entries(): Promise<PoolEntry[]> }): unknown {
  const rows = (entries: PoolEntry[]) =>
    entries
      .map((entry) => ({ key: entry.key, value: [...entry.value], metadata: entry.metadata === null || entry.metadata.byteLength === 0 ? null : [...entry.metadata] }))
      .sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  return Array.isArray(source) ? rows(source) : source.entries().then(rows);
}
