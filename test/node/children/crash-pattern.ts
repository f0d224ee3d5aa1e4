/** The values crash-writer.ts writes: bytes derived from (key index, n), sizes varying with n. */
export const KEYS = ["alpha", "beta", "gamma"];

export function valueFor(keyIndex: number, n: number): Uint8Array {
  const length = 20_000 + (n % 7) * 9_000;
  const bytes = new Uint8Array(length);
  for (let j = 0; j < length; j++) bytes[j] = (n * 31 + j * 7 + keyIndex * 13) & 0xff;
  return bytes;
}
