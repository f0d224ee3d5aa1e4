/**
 * The host functions at the ABI level: statuses, out-pointers, buffer-length and multi-value
 * conventions, KV error codes — as Viceroy's implementation (fastly/Viceroy 274febd
 * src/wiggle_abi/*.rs) answers them, with edge-kv's stores behind them.
 */
import { FakeClock, resetRegistry } from "edge-kv";
import { beforeEach, describe, expect, it } from "vitest";
import { KvError, Status } from "../../src/wasm/abi.js";
import { abiHarness, type Harness } from "./abi-harness.js";

const KV = "fastly_kv_store";

function openStore(h: Harness, name: string): number {
  const [ptr, len] = h.put(name);
  const out = h.alloc(4);
  expect(h.call(KV, "open", ptr, len, out)).toBe(Status.OK);
  return h.u32(out);
}

function body(h: Harness, text: string): number {
  const out = h.alloc(4);
  h.call("fastly_http_body", "new", out);
  const handle = h.u32(out);
  const [ptr, len] = h.put(text);
  h.call("fastly_http_body", "write", handle, ptr, len, 0, h.alloc(4));
  return handle;
}

function readBody(h: Harness, handle: number): string {
  const buf = h.alloc(64);
  const nread = h.alloc(4);
  let text = "";
  for (;;) {
    expect(h.call("fastly_http_body", "read", handle, buf, 5, nread)).toBe(Status.OK);
    if (h.u32(nread) === 0) return text;
    text += h.text(buf, h.u32(nread));
  }
}

interface InsertOptions {
  mode?: number;
  metadata?: string;
  ttl?: number;
  gen?: bigint;
}

/** insert + insert_wait; returns [status of insert, kv_error]. */
function insert(h: Harness, store: number, key: string, value: string, options: InsertOptions = {}): [number, number] {
  const [keyPtr, keyLen] = h.put(key);
  const config = h.alloc(32);
  let mask = 0;
  h.setU32(config, options.mode ?? 0);
  if (options.metadata !== undefined) {
    const [metaPtr, metaLen] = h.put(options.metadata);
    h.setU32(config + 8, metaPtr);
    h.setU32(config + 12, metaLen);
    mask |= 8;
  }
  if (options.ttl !== undefined) {
    h.setU32(config + 16, options.ttl);
    mask |= 16;
  }
  if (options.gen !== undefined) {
    h.setU64(config + 24, options.gen);
    mask |= 32;
  }
  const out = h.alloc(4);
  const status = h.call(KV, "insert", store, keyPtr, keyLen, body(h, value), mask, config, out);
  if (status !== Status.OK) return [status, -1];
  const kvError = h.alloc(4);
  expect(h.call(KV, "insert_wait", h.u32(out), kvError)).toBe(Status.OK);
  return [status, h.u32(kvError)];
}

interface Lookup {
  status: number;
  kvError: number;
  value?: string;
  metadata?: string;
  metadataLength?: number;
  generation?: bigint;
}

function lookup(h: Harness, store: number, key: string, metadataBuffer = 1000): Lookup {
  const [keyPtr, keyLen] = h.put(key);
  const out = h.alloc(4);
  const started = h.call(KV, "lookup", store, keyPtr, keyLen, 0, h.alloc(4), out);
  if (started !== Status.OK) return { status: started, kvError: -1 };
  const bodyOut = h.alloc(4);
  const meta = h.alloc(Math.max(metadataBuffer, 1));
  const nwritten = h.alloc(4);
  const generation = h.alloc(8);
  const kvError = h.alloc(4);
  const status = h.call(KV, "lookup_wait_v2", h.u32(out), bodyOut, meta, metadataBuffer, nwritten, generation, kvError);
  const result: Lookup = { status, kvError: h.u32(kvError) };
  if (status === Status.BUFLEN) return { ...result, metadataLength: h.u32(nwritten) };
  if (status !== Status.OK || result.kvError !== KvError.OK) return result;
  return { ...result, value: readBody(h, h.u32(bodyOut)), metadata: h.text(meta, h.u32(nwritten)), metadataLength: h.u32(nwritten), generation: h.u64(generation) };
}

function remove(h: Harness, store: number, key: string): [number, number] {
  const [keyPtr, keyLen] = h.put(key);
  const out = h.alloc(4);
  const status = h.call(KV, "delete", store, keyPtr, keyLen, 0, h.alloc(4), out);
  if (status !== Status.OK) return [status, -1];
  const kvError = h.alloc(4);
  expect(h.call(KV, "delete_wait", h.u32(out), kvError)).toBe(Status.OK);
  return [status, h.u32(kvError)];
}

function list(h: Harness, store: number, options: { cursor?: string; limit?: number; prefix?: string } = {}): { status: number; kvError: number; json?: unknown } {
  const config = h.alloc(24);
  let mask = 0;
  if (options.cursor !== undefined) {
    const [ptr, len] = h.put(options.cursor);
    h.setU32(config + 4, ptr);
    h.setU32(config + 8, len);
    mask |= 2;
  }
  if (options.limit !== undefined) {
    h.setU32(config + 12, options.limit);
    mask |= 4;
  }
  if (options.prefix !== undefined) {
    const [ptr, len] = h.put(options.prefix);
    h.setU32(config + 16, ptr);
    h.setU32(config + 20, len);
    mask |= 8;
  }
  const out = h.alloc(4);
  const status = h.call(KV, "list", store, mask, config, out);
  if (status !== Status.OK) return { status, kvError: -1 };
  const bodyOut = h.alloc(4);
  const kvError = h.alloc(4);
  expect(h.call(KV, "list_wait", h.u32(out), bodyOut, kvError)).toBe(Status.OK);
  if (h.u32(kvError) !== KvError.OK) return { status, kvError: h.u32(kvError) };
  return { status, kvError: h.u32(kvError), json: JSON.parse(readBody(h, h.u32(bodyOut))) };
}

describe("fastly_kv_store", () => {
  let h: Harness;
  let clock: FakeClock;
  let registry: ReturnType<typeof resetRegistry>;
  beforeEach(() => {
    clock = new FakeClock();
    registry = resetRegistry({ clock });
    registry.defineStore("kv");
    registry.defineStore("vic", { profile: "viceroy" });
    h = abiHarness(registry);
  });

  it("open: an unknown store answers INVAL (Viceroy's UnknownObjectStore), a known one a handle", () => {
    const [ptr, len] = h.put("nope");
    expect(h.call(KV, "open", ptr, len, h.alloc(4))).toBe(Status.INVAL);
    expect(openStore(h, "kv")).toBeGreaterThan(0);
  });

  it("insert then lookup_wait_v2: body, metadata, generation and kv_error OK; the record is in edge-kv's store", () => {
    const store = openStore(h, "kv");
    expect(insert(h, store, "a", "hello", { metadata: "meta" })).toEqual([Status.OK, KvError.OK]);
    const found = lookup(h, store, "a");
    const record = registry.store("kv").core.get("a") as { generation: number; value: Uint8Array };
    expect(found).toEqual({ status: Status.OK, kvError: KvError.OK, value: "hello", metadata: "meta", metadataLength: 4, generation: BigInt(record.generation) });
  });

  it("a missing key is kv_error NOT_FOUND with status OK", () => {
    expect(lookup(h, openStore(h, "kv"), "missing")).toEqual({ status: Status.OK, kvError: KvError.NOT_FOUND });
  });

  it("metadata larger than the guest's buffer: BUFLEN with the needed length in nwritten", () => {
    const store = openStore(h, "kv");
    insert(h, store, "a", "v", { metadata: "0123456789" });
    expect(lookup(h, store, "a", 4)).toEqual({ status: Status.BUFLEN, kvError: 0, metadataLength: 10 });
  });

  it("insert modes: add on a live key is PRECONDITION_FAILED; append and prepend concatenate", () => {
    const store = openStore(h, "kv");
    insert(h, store, "k", "b");
    expect(insert(h, store, "k", "x", { mode: 1 })).toEqual([Status.OK, KvError.PRECONDITION_FAILED]);
    expect(insert(h, store, "k", "c", { mode: 2 })).toEqual([Status.OK, KvError.OK]);
    expect(insert(h, store, "k", "a", { mode: 3 })).toEqual([Status.OK, KvError.OK]);
    expect(lookup(h, store, "k").value).toBe("abc");
    expect(insert(h, store, "new", "v", { mode: 1 })).toEqual([Status.OK, KvError.OK]);
    expect(insert(h, store, "k", "v", { mode: 4 })).toEqual([Status.INVAL, -1]);
  });

  it("if_generation_match: the current generation writes, another one is PRECONDITION_FAILED", () => {
    const store = openStore(h, "kv");
    insert(h, store, "k", "1");
    const generation = lookup(h, store, "k").generation!;
    expect(insert(h, store, "k", "2", { gen: generation + 1n })).toEqual([Status.OK, KvError.PRECONDITION_FAILED]);
    expect(insert(h, store, "k", "2", { gen: generation })).toEqual([Status.OK, KvError.OK]);
    expect(lookup(h, store, "k").value).toBe("2");
    // A missing key: production has no record to match; Viceroy lets the write through.
    expect(insert(h, store, "absent", "x", { gen: 5n })).toEqual([Status.OK, KvError.PRECONDITION_FAILED]);
    expect(insert(h, openStore(h, "vic"), "absent", "x", { gen: 5n })).toEqual([Status.OK, KvError.OK]);
  });

  it("time_to_live_sec expires the entry on the store's clock", () => {
    const store = openStore(h, "kv");
    insert(h, store, "t", "v", { ttl: 10 });
    clock.advance(9_999);
    expect(lookup(h, store, "t").value).toBe("v");
    clock.advance(2);
    expect(lookup(h, store, "t")).toEqual({ status: Status.OK, kvError: KvError.NOT_FOUND });
  });

  it("delete: a missing key is NOT_FOUND in production, OK under the viceroy profile", () => {
    const store = openStore(h, "kv");
    insert(h, store, "d", "v");
    expect(remove(h, store, "d")).toEqual([Status.OK, KvError.OK]);
    expect(remove(h, store, "d")).toEqual([Status.OK, KvError.NOT_FOUND]);
    expect(remove(h, openStore(h, "vic"), "d")).toEqual([Status.OK, KvError.OK]);
  });

  it("list: Viceroy's JSON body, limit, prefix and a cursor only when the page was cut short", () => {
    const store = openStore(h, "kv");
    for (const key of ["b1", "a2", "b2", "a1", "b3"]) insert(h, store, key, "v");
    expect(list(h, store).json).toEqual({ data: ["a1", "a2", "b1", "b2", "b3"], meta: { limit: 1000 } });
    const first = list(h, store, { prefix: "b", limit: 2 }).json as { data: string[]; meta: { next_cursor: string } };
    expect(first).toEqual({ data: ["b1", "b2"], meta: { limit: 2, prefix: "b", next_cursor: Buffer.from("b2").toString("base64") } });
    expect(list(h, store, { prefix: "b", limit: 2, cursor: first.meta.next_cursor }).json).toEqual({ data: ["b3"], meta: { limit: 2, prefix: "b" } });
    expect(list(h, store, { cursor: "%%%" })).toEqual({ status: Status.OK, kvError: KvError.BAD_REQUEST });
  });

  it("host-side refusals: an invalid key, an empty cursor or metadata under the viceroy profile, a bad handle", () => {
    const store = openStore(h, "kv");
    expect(lookup(h, store, "a\nb")).toEqual({ status: Status.INVAL, kvError: -1 });
    expect(lookup(h, store, ".")).toEqual({ status: Status.INVAL, kvError: -1 });
    expect(lookup(h, 999, "a")).toEqual({ status: Status.BADF, kvError: -1 });
    const vic = openStore(h, "vic");
    expect(lookup(h, vic, "../x")).toEqual({ status: Status.INVAL, kvError: -1 });
    expect(lookup(h, store, "../x").kvError).toBe(KvError.NOT_FOUND);
    expect(insert(h, vic, "k", "v", { metadata: "" })).toEqual([Status.INVAL, -1]);
    expect(insert(h, store, "k", "v", { metadata: "" })).toEqual([Status.OK, KvError.OK]);
    expect(list(h, vic, { cursor: "" })).toEqual({ status: Status.INVAL, kvError: -1 });
    expect(h.call(KV, "insert_wait", 12345, h.alloc(4))).toBe(Status.BADF);
  });

  it("metadata over the store's limit is PAYLOAD_TOO_LARGE", () => {
    expect(insert(h, openStore(h, "kv"), "k", "v", { metadata: "x".repeat(1001) })).toEqual([Status.OK, KvError.PAYLOAD_TOO_LARGE]);
  });
});

describe("headers, request and body functions", () => {
  let h: Harness;
  beforeEach(() => {
    h = abiHarness(resetRegistry());
  });
  const downstream = () => {
    const req = h.alloc(4);
    const body = h.alloc(4);
    expect(h.call("fastly_http_req", "body_downstream_get", req, body)).toBe(Status.OK);
    return [h.u32(req), h.u32(body)] as const;
  };

  it("header_names_get: NUL-terminated names, continued from the ending cursor when the buffer is full", () => {
    const [req] = downstream();
    const buf = h.alloc(64);
    const cursorOut = h.alloc(8);
    const nwritten = h.alloc(4);
    expect(h.call("fastly_http_req", "header_names_get", req, buf, 9, 0, cursorOut, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("host\0x-a\0");
    expect(h.i64(cursorOut)).toBe(2n);
    expect(h.call("fastly_http_req", "header_names_get", req, buf, 64, 2, cursorOut, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("x-fastly-bot-name\0");
    expect(h.i64(cursorOut)).toBe(-1n);
    // Not even one name fits: BUFLEN and the length it needs (with its NUL).
    expect(h.call("fastly_http_req", "header_names_get", req, buf, 3, 2, cursorOut, nwritten)).toBe(Status.BUFLEN);
    expect(h.u32(nwritten)).toBe(18);
  });

  it("header_values_get returns every value of a repeated header; header_remove of a missing name is INVAL", () => {
    const [req] = downstream();
    const [name, nameLen] = h.put("X-A");
    const buf = h.alloc(64);
    const nwritten = h.alloc(4);
    const cursorOut = h.alloc(8);
    expect(h.call("fastly_http_req", "header_values_get", req, name, nameLen, buf, 64, 0, cursorOut, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("1\0" + "2\0");
    expect(h.call("fastly_http_req", "header_remove", req, name, nameLen)).toBe(Status.OK);
    expect(h.call("fastly_http_req", "header_remove", req, name, nameLen)).toBe(Status.INVAL);
    const [bad, badLen] = h.put("bad name");
    const [value, valueLen] = h.put("v");
    expect(h.call("fastly_http_req", "header_insert", req, bad, badLen, value, valueLen)).toBe(Status.ERROR);
  });

  it("uri_get and method_get follow the buffer-length convention", () => {
    const [req] = downstream();
    const buf = h.alloc(64);
    const nwritten = h.alloc(4);
    expect(h.call("fastly_http_req", "uri_get", req, buf, 5, nwritten)).toBe(Status.BUFLEN);
    expect(h.u32(nwritten)).toBe("http://example.com/path?q=1".length);
    expect(h.call("fastly_http_req", "uri_get", req, buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("http://example.com/path?q=1");
    expect(h.call("fastly_http_req", "method_get", req, buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("GET");
    expect(h.call("fastly_http_req", "method_get", 4242, buf, 64, nwritten)).toBe(Status.BADF);
  });

  it("bodies: the downstream body, front and back writes, append, known_length; reading a streaming body is INVAL", () => {
    const [, downstreamBody] = downstream();
    expect(readBody(h, downstreamBody)).toBe("downstream body");
    const a = body(h, "middle");
    const [front, frontLen] = h.put("front-");
    h.call("fastly_http_body", "write", a, front, frontLen, 1, h.alloc(4));
    h.call("fastly_http_body", "append", a, body(h, "-end"));
    const length = h.alloc(8);
    expect(h.call("fastly_http_body", "known_length", a, length)).toBe(Status.OK);
    expect(h.u64(length)).toBe(16n);
    expect(readBody(h, a)).toBe("front-middle-end");
    const resp = h.alloc(4);
    h.call("fastly_http_resp", "new", resp);
    const streamed = body(h, "");
    expect(h.call("fastly_http_resp", "send_downstream", h.u32(resp), streamed, 1)).toBe(Status.OK);
    expect(h.call("fastly_http_body", "read", streamed, h.alloc(8), 8, h.alloc(4))).toBe(Status.INVAL);
    expect(h.call("fastly_http_body", "known_length", streamed, length)).toBe(Status.NONE);
    expect(h.call("fastly_http_resp", "send_downstream", h.u32(resp), body(h, ""), 0)).toBe(Status.BADF);
  });
});

describe("downstream, geo, log, config and secret stores", () => {
  it("client and server addresses, a 32-hex-digit request id, absent TLS data, bot data from headers", () => {
    const h = abiHarness(resetRegistry());
    const req = h.alloc(4);
    h.call("fastly_http_req", "body_downstream_get", req, h.alloc(4));
    const handle = h.u32(req);
    const octets = h.alloc(16);
    const nwritten = h.alloc(4);
    expect(h.call("fastly_http_downstream", "downstream_client_ip_addr", handle, octets, nwritten)).toBe(Status.OK);
    expect([...h.bytes(octets, h.u32(nwritten))]).toEqual([127, 0, 0, 1]);
    expect(h.call("fastly_http_downstream", "downstream_server_ip_addr", handle, octets, nwritten)).toBe(Status.OK);
    expect([...h.bytes(octets, h.u32(nwritten))]).toEqual([...new Array(15).fill(0), 1]);
    const buf = h.alloc(64);
    expect(h.call("fastly_http_downstream", "downstream_client_request_id", handle, buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("00000000000000000000000000000007");
    expect(h.call("fastly_http_downstream", "downstream_tls_protocol", handle, buf, 64, nwritten)).toBe(Status.NONE);
    expect(h.call("fastly_http_downstream", "downstream_bot_name", handle, buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("Googlebot");
    const other = h.alloc(4);
    h.call("fastly_http_req", "new", other);
    expect(h.call("fastly_http_downstream", "downstream_client_ip_addr", h.u32(other), octets, nwritten)).toBe(Status.ERROR);
    expect(h.call("fastly_http_downstream", "downstream_client_ip_addr", 999, octets, nwritten)).toBe(Status.BADF);
  });

  it("geo lookup: Viceroy's default record for loopback, nothing for other addresses, INVAL for a bad length", () => {
    const h = abiHarness(resetRegistry());
    const buf = h.alloc(1024);
    const nwritten = h.alloc(4);
    const [loopback, loopbackLen] = h.put(new Uint8Array([127, 0, 0, 1]));
    expect(h.call("fastly_geo", "lookup", loopback, loopbackLen, buf, 1024, nwritten)).toBe(Status.OK);
    expect(JSON.parse(h.text(buf, h.u32(nwritten)))).toMatchObject({ city: "San Francisco", as_number: 54113, latitude: 37.77869, utc_offset: -700 });
    const [other, otherLen] = h.put(new Uint8Array([8, 8, 8, 8]));
    expect(h.call("fastly_geo", "lookup", other, otherLen, buf, 1024, nwritten)).toBe(Status.OK);
    expect(h.u32(nwritten)).toBe(0);
    expect(h.call("fastly_geo", "lookup", other, 3, buf, 1024, nwritten)).toBe(Status.INVAL);
    expect(h.call("fastly_geo", "lookup", loopback, loopbackLen, buf, 10, nwritten)).toBe(Status.BUFLEN);
  });

  it("log endpoints: reserved names are INVAL; messages reach the log", () => {
    const h = abiHarness(resetRegistry());
    const out = h.alloc(4);
    const [reserved, reservedLen] = h.put("STDOUT");
    expect(h.call("fastly_log", "endpoint_get", reserved, reservedLen, out)).toBe(Status.INVAL);
    const [name, nameLen] = h.put("audit");
    expect(h.call("fastly_log", "endpoint_get", name, nameLen, out)).toBe(Status.OK);
    const [message, messageLen] = h.put("hello log");
    const nwritten = h.alloc(4);
    expect(h.call("fastly_log", "write", h.u32(out), message, messageLen, nwritten)).toBe(Status.OK);
    expect(h.u32(nwritten)).toBe(9);
    expect(h.logs).toEqual([{ requestId: "00000000000000000000000000000007", source: "audit", message: "hello log" }]);
  });

  it("config stores: unknown BADF, missing key NONE, value with the buffer convention; secrets: unknown NONE", () => {
    const h = abiHarness(resetRegistry(), { configStores: { settings: { greeting: "hello" } }, secretStores: { vault: { token: "s3cret" } } });
    const out = h.alloc(4);
    const [unknown, unknownLen] = h.put("nope");
    expect(h.call("fastly_config_store", "open", unknown, unknownLen, out)).toBe(Status.BADF);
    expect(h.call("fastly_secret_store", "open", unknown, unknownLen, out)).toBe(Status.NONE);
    const [name, nameLen] = h.put("settings");
    expect(h.call("fastly_dictionary", "open", name, nameLen, out)).toBe(Status.OK);
    const store = h.u32(out);
    const buf = h.alloc(64);
    const nwritten = h.alloc(4);
    const [missing, missingLen] = h.put("missing");
    expect(h.call("fastly_dictionary", "get", store, missing, missingLen, buf, 64, nwritten)).toBe(Status.NONE);
    const [key, keyLen] = h.put("greeting");
    expect(h.call("fastly_config_store", "get", store, key, keyLen, buf, 2, nwritten)).toBe(Status.BUFLEN);
    expect(h.u32(nwritten)).toBe(5);
    expect(h.call("fastly_config_store", "get", store, key, keyLen, buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("hello");
    const [vault, vaultLen] = h.put("vault");
    expect(h.call("fastly_secret_store", "open", vault, vaultLen, out)).toBe(Status.OK);
    const [token, tokenLen] = h.put("token");
    const secret = h.alloc(4);
    expect(h.call("fastly_secret_store", "get", h.u32(out), token, tokenLen, secret)).toBe(Status.OK);
    expect(h.call("fastly_secret_store", "plaintext", h.u32(secret), buf, 64, nwritten)).toBe(Status.OK);
    expect(h.text(buf, h.u32(nwritten))).toBe("s3cret");
    expect(h.call("fastly_secret_store", "get", h.u32(out), missing, missingLen, secret)).toBe(Status.NONE);
  });

  it("async_io: select needs handles or a timeout; a settled KV operation is ready", () => {
    const registry = resetRegistry();
    registry.defineStore("kv");
    const h = abiHarness(registry);
    const readyIdx = h.alloc(4);
    expect(h.call("fastly_async_io", "select", h.alloc(4), 0, 0, readyIdx)).toBe(Status.INVAL);
    const store = openStore(h, "kv");
    const [key, keyLen] = h.put("k");
    const pending = h.alloc(4);
    h.call(KV, "lookup", store, key, keyLen, 0, h.alloc(4), pending);
    const handles = h.alloc(8);
    h.setU32(handles, 9999);
    expect(h.call("fastly_async_io", "select", handles, 1, 0, readyIdx)).toBe(Status.BADF);
    h.setU32(handles, h.u32(pending));
    expect(h.call("fastly_async_io", "select", handles, 1, 0, readyIdx)).toBe(Status.OK);
    expect(h.u32(readyIdx)).toBe(0);
    const isReady = h.alloc(4);
    expect(h.call("fastly_async_io", "is_ready", h.u32(pending), isReady)).toBe(Status.OK);
    expect(h.u32(isReady)).toBe(1);
  });
});
