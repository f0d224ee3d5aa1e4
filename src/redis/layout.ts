/**
 * Where a store's data lives in the Redis keyspace. Every key of one store shares one hash tag, so a
 * store sits in one cluster slot and its multi-key scripts run unchanged on Redis Cluster:
 *
 *   <prefix>:{<tag>}:m            hash    format, version and name of the store
 *   <prefix>:{<tag>}:k            zset    the key index: every key's UTF-8 bytes, all scores 0
 *   <prefix>:{<tag>}:s            hash    key info: key → "generation|expiresAt|lastModified|size|flags"
 *                                         (what writes decide on and scans report; flags: m metadata,
 *                                         c content type); field "" holds the retired generation
 *   <prefix>:{<tag>}:r:<key>      hash    one record: v value, g generation, t lastModified,
 *                                         and when set: e expiresAt, m metadata, c contentType
 *   <prefix>:stores               set     names of the stores ever opened (for `serve --redis`)
 *
 * `<tag>` is the store name's UTF-8 bytes with every byte outside `A-Z a-z 0-9 - _ .` written as `%`
 * and two uppercase hex digits (so `%`, `:`, `{`, `}` and spaces are always escaped). The encoding is
 * one-to-one and never contains `}`, so the tag ends exactly where the store name does: two stores
 * never share a key, and no key of one store can be named inside another's (keys follow the tag
 * and a fixed `:r:`, as raw bytes — Redis keys are binary-safe).
 */
import { EdgeKvError } from "../errors.js";

export const LAYOUT_FORMAT = "edge-kv/redis";
export const LAYOUT_VERSION = "1";
export const DEFAULT_PREFIX = "edge-kv";

const PLAIN = /^[A-Za-z0-9\-_.]$/;

/** The hash tag of a store: its name, percent-encoded byte by byte (see the module comment). */
export function storeTag(storeName: string): string {
  let out = "";
  for (const byte of Buffer.from(storeName, "utf8")) {
    const char = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The store name a tag encodes (inverse of storeTag). */
export function storeNameFromTag(tag: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < tag.length; i++) {
    if (tag[i] === "%") {
      bytes.push(Number.parseInt(tag.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(tag.charCodeAt(i));
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Checks a key prefix: printable ASCII without braces (a brace would move the hash tag). */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== "string" || !/^[\x21-\x7e]{1,64}$/.test(prefix) || /[{}]/.test(prefix)) {
    throw new EdgeKvError(
      `RedisDriver: prefix must be 1 to 64 printable ASCII characters without spaces, '{' or '}' (they would change the cluster hash slot), got ${JSON.stringify(prefix)}`,
    );
  }
  return prefix;
}

/** The Redis keys of one store. */
export class StoreKeys {
  readonly meta: Buffer;
  readonly index: Buffer;
  /** key → "generation|expiresAt|lastModified|size|flags"; field "" → the retired generation. */
  readonly keyInfo: Buffer;
  /** Prefix of every record key; the key's UTF-8 bytes follow. */
  readonly recordPrefix: Buffer;
  /** The set of store names (outside the store's slot). */
  readonly stores: string;

  constructor(prefix: string, storeName: string) {
    const base = `${prefix}:{${storeTag(storeName)}}:`;
    this.meta = Buffer.from(`${base}m`);
    this.index = Buffer.from(`${base}k`);
    this.keyInfo = Buffer.from(`${base}s`);
    this.recordPrefix = Buffer.from(`${base}r:`);
    this.stores = `${prefix}:stores`;
  }

  /** The record key of `key`. */
  record(key: Buffer): Buffer {
    return Buffer.concat([this.recordPrefix, key]);
  }
}
