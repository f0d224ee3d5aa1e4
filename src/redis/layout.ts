/**
 * Where a store's data lives in the Redis keyspace. Every key of one store shares one hash tag, so a
 * store sits in one cluster slot and its multi-key scripts run unchanged on Redis Cluster:
 *
 *   <prefix>:{<tag>}:m            hash    format, version and name of the store
 *   <prefix>:{<tag>}:k            zset    the key index: every key's UTF-8 bytes, all scores 0
 *   <prefix>:{<tag>}:s            hash    key info: key → "generation|expiresAt|lastModified|size"
 *                                         (what writes decide on and scans report); field "" holds
 *                                         the retired generation
 *   <prefix>:{<tag>}:r:<key>      string  one record (see encodeRecordHead / decodeRecord), with a
 *                                         Redis TTL when it expires
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
/** 2: records are strings (1: hashes, edge-kv before the put-speed work; a driver refuses them). */
export const LAYOUT_VERSION = "2";
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
  /** key → "generation|expiresAt|lastModified|size"; field "" → the retired generation. */
  readonly keyInfo: Buffer;
  /** index and keyInfo as text (ASCII), for commands sent with string arguments. */
  readonly indexText: string;
  readonly keyInfoText: string;
  /** Prefix of every record key; the key's UTF-8 bytes follow. */
  readonly recordPrefix: Buffer;
  /** recordPrefix as text (ASCII): `recordPrefixText + key` is the record key, sent UTF-8 encoded. */
  readonly recordPrefixText: string;
  /** The set of store names (outside the store's slot). */
  readonly stores: string;

  constructor(prefix: string, storeName: string) {
    const base = `${prefix}:{${storeTag(storeName)}}:`;
    this.meta = Buffer.from(`${base}m`);
    this.indexText = `${base}k`;
    this.keyInfoText = `${base}s`;
    this.index = Buffer.from(this.indexText);
    this.keyInfo = Buffer.from(this.keyInfoText);
    this.recordPrefixText = `${base}r:`;
    this.recordPrefix = Buffer.from(this.recordPrefixText);
    this.stores = `${prefix}:stores`;
  }

  /** The record key of `key`. */
  record(key: Buffer): Buffer {
    return Buffer.concat([this.recordPrefix, key]);
  }
}

/**
 * A record is one Redis string: an ASCII head, then the metadata, the content type (UTF-8) and the
 * value, as they are:
 *
 *   generation|expiresAt|lastModified|metadataLength|contentTypeLength|<metadata><content type><value>
 *
 * expiresAt is empty for none, a length empty for null (0 for empty). Numbers are decimal. One GET
 * reads it whole; one SET (with PX for a record that expires) writes it whole, TTL included.
 */
export interface DecodedRecord {
  generation: number;
  expiresAt: number | null;
  lastModified: number;
  metadata: Uint8Array | null;
  contentType: string | null;
  value: Uint8Array;
}

const BAR = 0x7c; // "|"

/** The part of a record's head the writer knows before the server issues the generation: "expiresAt|lastModified|". */
export function encodeRecordTimes(expiresAt: number | null, lastModified: number): string {
  return `${expiresAt ?? ""}|${lastModified}|`;
}

/** The bytes between a record's times and its value: "metadataLength|contentTypeLength|" + metadata + content type. */
export function encodeRecordExtras(metadata: Uint8Array | null, contentType: string | null): string | Buffer {
  const typeLength = contentType === null ? "" : String(Buffer.byteLength(contentType, "utf8"));
  if (metadata === null) return `|${typeLength}|${contentType ?? ""}`;
  const head = Buffer.from(`${metadata.byteLength}|${typeLength}|`);
  return Buffer.concat([head, metadata, ...(contentType === null ? [] : [Buffer.from(contentType, "utf8")])]);
}

/** The record in `data` (views into it, no copy), or undefined when it is not in this format. */
export function decodeRecord(data: Buffer): DecodedRecord | undefined {
  const fields: (number | null)[] = [];
  let start = 0;
  for (let field = 0; field < 5; field++) {
    const end = data.indexOf(BAR, start);
    if (end === -1 || end - start > 24) return undefined;
    if (end === start) fields.push(null);
    else {
      const number = Number(data.toString("latin1", start, end));
      if (Number.isNaN(number)) return undefined;
      fields.push(number);
    }
    start = end + 1;
  }
  const [generation, expiresAt, lastModified, metadataLength, typeLength] = fields;
  const valueStart = start + (metadataLength ?? 0) + (typeLength ?? 0);
  if (generation === null || lastModified === null || (metadataLength ?? 0) < 0 || (typeLength ?? 0) < 0 || valueStart > data.byteLength) return undefined;
  const view = (from: number, to: number) => new Uint8Array(data.buffer, data.byteOffset + from, to - from);
  return {
    generation: generation!,
    expiresAt: expiresAt!,
    lastModified: lastModified!,
    metadata: metadataLength === null ? null : view(start, start + metadataLength!),
    contentType: typeLength === null ? null : data.toString("utf8", start + (metadataLength ?? 0), valueStart),
    value: view(valueStart, data.byteLength),
  };
}
