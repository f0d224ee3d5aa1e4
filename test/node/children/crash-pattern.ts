/** The values crash-writer.ts writes: bytes derived from (key index, n), sizes varying with n. */
export const KEYS = ["alpha", "beta", "gamma"];

/**
 * The same writes on keys that have bitten stores (crash-writer.ts "odd"): a leading BOM, NUL, 1024 bytes
 * of 4- and 2-byte characters, non-characters, a line separator, U+FFFD; the log key is a lone BOM.
 * Their metadata is `\uFEFF<n>\r\n` (metadataFor).
 */
export const ODD_KEYS = ["\uFEFFalpha", "a\u0000b", "\u{1F600}".repeat(256), "é".repeat(512), "\u2028\uFFFE\uFFFF", "\uFFFD"];
export const ODD_LOG = "\uFEFF";

export function metadataFor(n: number, odd: boolean): string {
  return odd ? `\uFEFF${n}\r\n` : String(n);
}

export function valueFor(keyIndex: number, n: number): Uint8Array {
  const length = 20_000 + (n % 7) * 9_000;
  const bytes = new Uint8Array(length);
  for (let j = 0; j < length; j++) bytes[j] = (n * 31 + j * 7 + keyIndex * 13) & 0xff;
  return bytes;
}
