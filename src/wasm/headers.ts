/**
 * HTTP header maps as the host keeps them (Viceroy uses the `http` crate's HeaderMap): names are
 * case-insensitive and stored lower-case, values are raw bytes (kept here as latin1 strings, one char
 * per byte), names iterate in insertion order and a removed name's slot is taken by the last name
 * (HeaderMap's swap-remove), values of one name in insertion order.
 */
import { Status } from "./abi.js";
import { latin1Bytes } from "./guest-memory.js";

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Hyper panics on longer names; Viceroy refuses them (INVAL). */
export const MAX_HEADER_NAME_LEN = (1 << 16) - 1;

/** http::HeaderName::from_bytes: a non-empty token, lower-cased. Null when invalid. */
export function headerName(raw: string): string | null {
  return raw.length > 0 && TOKEN.test(raw) ? raw.toLowerCase() : null;
}

/** http::HeaderValue::from_bytes: visible bytes, space, tab and obs-text (0x80–0xFF); no CR, LF, NUL, DEL. */
export function isHeaderValue(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f) return false;
  }
  return true;
}

export class HeaderMap {
  #names: string[] = [];
  #values = new Map<string, string[]>();

  static from(entries: Iterable<[string, string]>): HeaderMap {
    const map = new HeaderMap();
    for (const [name, value] of entries) map.append(name.toLowerCase(), value);
    return map;
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.#names = [...this.#names];
    for (const [name, values] of this.#values) copy.#values.set(name, [...values]);
    return copy;
  }

  names(): readonly string[] {
    return this.#names;
  }

  get(name: string): readonly string[] | undefined {
    return this.#values.get(name);
  }

  insert(name: string, value: string): void {
    if (!this.#values.has(name)) this.#names.push(name);
    this.#values.set(name, [value]);
  }

  append(name: string, value: string): void {
    const values = this.#values.get(name);
    if (values) values.push(value);
    else {
      this.#names.push(name);
      this.#values.set(name, [value]);
    }
  }

  /** Removes every value of `name`; false when it had none. */
  remove(name: string): boolean {
    if (!this.#values.delete(name)) return false;
    const index = this.#names.indexOf(name);
    const last = this.#names.pop()!;
    if (index < this.#names.length) this.#names[index] = last;
    return true;
  }

  /** Name/value pairs in iteration order (for building a Fetch API Headers). */
  *entries(): IterableIterator<[string, string]> {
    for (const name of this.#names) for (const value of this.#values.get(name)!) yield [name, value];
  }

  nameBytes(): Uint8Array[] {
    return this.#names.map(latin1Bytes);
  }

  valueBytes(name: string): Uint8Array[] {
    return (this.#values.get(name) ?? []).map(latin1Bytes);
  }
}

/** Status for a header write whose name or value is not valid (Viceroy: InvalidHeaderName/Value → ERROR). */
export function checkHeader(name: string | null, value?: string): number {
  if (name === null) return Status.ERROR;
  if (value !== undefined && !isHeaderValue(value)) return Status.ERROR;
  return Status.OK;
}
