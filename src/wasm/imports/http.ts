/**
 * `fastly_http_req`, `fastly_http_resp` and `fastly_http_body`: requests, responses, headers and
 * bodies, after Viceroy's `src/wiggle_abi/{req_impl,resp_impl,body_impl,headers}.rs` (274febd).
 * Backend sends are in backends.ts.
 */
import { concatBytes } from "../../bytes.js";
import { BodyWriteEnd, HttpVersion, Status } from "../abi.js";
import { Body, StreamingBody } from "../body.js";
import { latin1Bytes } from "../guest-memory.js";
import { HeaderMap, MAX_HEADER_NAME_LEN, checkHeader, headerName } from "../headers.js";
import type { RequestParts, ResponseParts, Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** The header functions shared by requests and responses (Viceroy's HttpHeadersRead/Write). */
function headerFunctions(sb: Sandbox, headersOf: (handle: number) => HeaderMap | undefined): HostModule {
  const name = (ptr: number, len: number): string | null | undefined => {
    if (len >>> 0 > MAX_HEADER_NAME_LEN) return undefined;
    return headerName(sb.memory.latin1(ptr, len));
  };
  return {
    header_names_get(h: number, buf: number, bufLen: number, cursor: number, endingCursorOut: number, nwrittenOut: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      return sb.memory.writeMultiValue(headers.nameBytes(), buf, bufLen, cursor, endingCursorOut, nwrittenOut);
    },
    header_value_get(h: number, namePtr: number, nameLen: number, value: number, valueMaxLen: number, nwrittenOut: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      if (key === null) return Status.ERROR;
      const found = headers.get(key);
      if (!found) return Status.INVAL;
      return sb.memory.writeOut(latin1Bytes(found[0]!), value, valueMaxLen, nwrittenOut);
    },
    header_values_get(h: number, namePtr: number, nameLen: number, buf: number, bufLen: number, cursor: number, endingCursorOut: number, nwrittenOut: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      if (key === null) return Status.ERROR;
      return sb.memory.writeMultiValue(headers.valueBytes(key), buf, bufLen, cursor, endingCursorOut, nwrittenOut);
    },
    header_values_set(h: number, namePtr: number, nameLen: number, valuesPtr: number, valuesLen: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      const values = sb.memory.latin1(valuesPtr, valuesLen).split("\0");
      values.pop(); // the item after the last NUL
      for (const value of values) if (checkHeader(key, value) !== Status.OK) return Status.ERROR;
      if (key === null) return Status.ERROR;
      headers.remove(key);
      for (const value of values) headers.append(key, value);
      return Status.OK;
    },
    header_insert(h: number, namePtr: number, nameLen: number, valuePtr: number, valueLen: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      const value = sb.memory.latin1(valuePtr, valueLen);
      if (checkHeader(key, value) !== Status.OK) return Status.ERROR;
      headers.insert(key!, value);
      return Status.OK;
    },
    header_append(h: number, namePtr: number, nameLen: number, valuePtr: number, valueLen: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      const value = sb.memory.latin1(valuePtr, valueLen);
      if (checkHeader(key, value) !== Status.OK) return Status.ERROR;
      headers.append(key!, value);
      return Status.OK;
    },
    header_remove(h: number, namePtr: number, nameLen: number) {
      const headers = headersOf(h);
      if (!headers) return Status.BADF;
      const key = name(namePtr, nameLen);
      if (key === undefined) return Status.INVAL;
      if (key === null) return Status.ERROR;
      return headers.remove(key) ? Status.OK : Status.INVAL;
    },
  };
}

function versionOk(version: number): boolean {
  return Number.isInteger(version) && version >= HttpVersion.HTTP_09 && version <= HttpVersion.H3;
}

/** `version_get` / `version_set`, the same for requests and responses. */
function versionFunctions(sb: Sandbox, partsOf: (handle: number) => { version: number } | undefined): HostModule {
  return {
    version_get(h: number, versionOut: number) {
      const parts = partsOf(h);
      if (!parts) return Status.BADF;
      sb.memory.setU32(versionOut, parts.version);
      return Status.OK;
    },
    version_set(h: number, version: number) {
      const parts = partsOf(h);
      if (!parts) return Status.BADF;
      if (!versionOk(version)) return Status.INVAL;
      parts.version = version;
      return Status.OK;
    },
  };
}

export function requestFunctions(sb: Sandbox): HostModule {
  const parts = (h: number): RequestParts | undefined => sb.entry(h, "request")?.parts;
  return {
    ...headerFunctions(sb, (h) => parts(h)?.headers),
    body_downstream_get(reqOut: number, bodyOut: number) {
      sb.memory.setU32(reqOut, sb.downstreamRequest);
      sb.memory.setU32(bodyOut, sb.downstreamBody);
      return Status.OK;
    },
    new(reqOut: number) {
      const handle = sb.insert({ kind: "request", parts: { method: "GET", uri: "/", headers: new HeaderMap(), version: HttpVersion.HTTP_11, autoDecompress: false } });
      sb.memory.setU32(reqOut, handle);
      return Status.OK;
    },
    method_get(h: number, buf: number, bufLen: number, nwrittenOut: number) {
      const request = parts(h);
      if (!request) return Status.BADF;
      return sb.memory.writeOut(latin1Bytes(request.method), buf, bufLen, nwrittenOut);
    },
    method_set(h: number, ptr: number, len: number) {
      const request = parts(h);
      if (!request) return Status.BADF;
      const method = sb.memory.utf8Strict(ptr, len);
      if (method === null) return Status.INVAL;
      if (!METHOD.test(method)) return Status.ERROR; // http::Method::from_bytes → InvalidMethod
      request.method = method;
      return Status.OK;
    },
    uri_get(h: number, buf: number, bufLen: number, nwrittenOut: number) {
      const request = parts(h);
      if (!request) return Status.BADF;
      return sb.memory.writeOut(latin1Bytes(request.uri), buf, bufLen, nwrittenOut);
    },
    uri_set(h: number, ptr: number, len: number) {
      const request = parts(h);
      if (!request) return Status.BADF;
      const uri = sb.memory.utf8Strict(ptr, len);
      if (uri === null) return Status.INVAL;
      if (!isUri(uri)) return Status.ERROR; // http::Uri::try_from → InvalidUri
      request.uri = uri;
      return Status.OK;
    },
    ...versionFunctions(sb, parts),
    close(h: number) {
      return sb.entry(h, "request") && sb.remove(h) ? Status.OK : Status.BADF;
    },
    cache_override_set(h: number) {
      // There is no cache in front of backends here: overrides are accepted and have no effect.
      return parts(h) ? Status.OK : Status.BADF;
    },
    cache_override_v2_set(h: number) {
      return parts(h) ? Status.OK : Status.BADF;
    },
    framing_headers_mode_set(h: number, mode: number) {
      if (!parts(h)) return Status.BADF;
      return mode === 0 || mode === 1 ? Status.OK : Status.INVAL;
    },
    auto_decompress_response_set(h: number, encodings: number) {
      const request = parts(h);
      if (!request) return Status.BADF;
      request.autoDecompress = (encodings & 1) !== 0;
      return Status.OK;
    },
  };
}

/** Rough check matching what http::Uri accepts: absolute-form, origin-form or authority-form, no spaces or controls. */
function isUri(uri: string): boolean {
  if (uri.length === 0 || /[\u0000-\u0020\u007f"<>\\^`{|}]/.test(uri)) return false;
  if (uri.startsWith("/") || uri === "*") return true;
  try {
    new URL(uri);
    return true;
  } catch {
    return /^[^/?#]+$/.test(uri);
  }
}

export function responseFunctions(sb: Sandbox): HostModule {
  const parts = (h: number): ResponseParts | undefined => sb.entry(h, "response")?.parts;
  return {
    ...headerFunctions(sb, (h) => parts(h)?.headers),
    new(respOut: number) {
      const handle = sb.insert({ kind: "response", parts: { status: 200, headers: new HeaderMap(), version: HttpVersion.HTTP_11, remote: null } });
      sb.memory.setU32(respOut, handle);
      return Status.OK;
    },
    status_get(h: number, statusOut: number) {
      const response = parts(h);
      if (!response) return Status.BADF;
      sb.memory.setU16(statusOut, response.status);
      return Status.OK;
    },
    status_set(h: number, status: number) {
      const response = parts(h);
      if (!response) return Status.BADF;
      if (status < 100 || status > 999) return Status.INVAL; // hyper::StatusCode::from_u16 → InvalidStatusCode
      response.status = status;
      return Status.OK;
    },
    ...versionFunctions(sb, parts),
    framing_headers_mode_set(h: number, mode: number) {
      if (!parts(h)) return Status.BADF;
      return mode === 0 || mode === 1 ? Status.OK : Status.INVAL;
    },
    http_keepalive_mode_set(h: number, mode: number) {
      if (!parts(h)) return Status.BADF;
      return mode === 0 ? Status.OK : Status.UNSUPPORTED; // Viceroy: NoKeepalive → NotAvailable
    },
    close(h: number) {
      return sb.entry(h, "response") && sb.remove(h) ? Status.OK : Status.BADF;
    },
    get_addr_dest_ip(h: number) {
      // Compute (and Viceroy) only report the backend address for direct pass responses.
      return parts(h) ? Status.NONE : Status.BADF;
    },
    get_addr_dest_port(h: number) {
      return parts(h) ? Status.NONE : Status.BADF;
    },
    send_downstream(respHandle: number, bodyHandle: number, streaming: number) {
      const response = sb.entry(respHandle, "response");
      const body = sb.entry(bodyHandle, "body");
      if (!response || !body) return Status.BADF;
      if (sb.responded) return Status.ERROR; // Viceroy: the downstream response was already sent
      sb.responded = true;
      sb.remove(respHandle);
      const head = { status: response.parts.status, headers: [...response.parts.headers.entries()] };
      const sink = {
        write: (bytes: Uint8Array) => sb.post({ t: "respond-chunk", bytes }),
        close: () => sb.post({ t: "respond-end", error: null }),
        abort: (reason: string) => sb.post({ t: "respond-end", error: reason }),
      };
      if (streaming === 1) {
        // The handle stays valid as the write end of the response body.
        sb.post({ t: "respond", head: { ...head, body: null } });
        const stream = new StreamingBody(sink);
        const queued = body.body.drain();
        if (queued === null) sb.pump(body.body, stream);
        else for (const chunk of queued) stream.write(chunk);
        sb.replace(bodyHandle, { kind: "streaming", body: stream });
        return Status.OK;
      }
      sb.remove(bodyHandle);
      const whole = body.body.drain();
      if (whole !== null) {
        sb.post({ t: "respond", head: { ...head, body: concatBytes(whole) } });
      } else {
        // A body still arriving (a backend response passed through): forwarded as it comes.
        sb.post({ t: "respond", head: { ...head, body: null } });
        sb.pump(body.body, new StreamingBody(sink));
      }
      return Status.OK;
    },
  };
}

export function bodyFunctions(sb: Sandbox): HostModule {
  return {
    new(bodyOut: number) {
      sb.memory.setU32(bodyOut, sb.insert({ kind: "body", body: new Body() }));
      return Status.OK;
    },
    read(h: number, buf: number, bufLen: number, nreadOut: number) {
      const entry = sb.get(h);
      if (entry?.kind === "streaming") return Status.INVAL; // only normal bodies can be read
      if (entry?.kind !== "body") return Status.BADF;
      const body = entry.body;
      let got = body.read(bufLen >>> 0);
      if (got === "wait") {
        sb.waitUntil(() => body.ready(), null, "a body to receive bytes");
        got = body.read(bufLen >>> 0) as Uint8Array;
      }
      if (got.byteLength === 0 && body.error !== null) return Status.HTTPINCOMPLETE;
      sb.memory.write(buf, got);
      sb.memory.setU32(nreadOut, got.byteLength);
      return Status.OK;
    },
    write(h: number, buf: number, bufLen: number, end: number, nwrittenOut: number) {
      const entry = sb.get(h);
      const bytes = sb.memory.bytes(buf, bufLen);
      if (entry?.kind === "streaming") {
        if (end === BodyWriteEnd.FRONT) return Status.BADF; // only normal bodies can be front-written
        entry.body.write(bytes);
      } else if (entry?.kind === "body") {
        if (end === BodyWriteEnd.FRONT) entry.body.pushFront(bytes);
        else entry.body.pushBack(bytes);
      } else return Status.BADF;
      sb.memory.setU32(nwrittenOut, bytes.byteLength);
      return Status.OK;
    },
    append(dest: number, src: number) {
      const source = sb.entry(src, "body");
      const target = sb.get(dest);
      if (!source || (target?.kind !== "body" && target?.kind !== "streaming")) return Status.BADF;
      sb.remove(src);
      if (target.kind === "body") target.body.append(source.body);
      else sb.pump(source.body, passThrough(target.body));
      return Status.OK;
    },
    close(h: number) {
      const entry = sb.get(h);
      if (entry?.kind === "streaming") {
        sb.remove(h);
        entry.body.close();
        return Status.OK;
      }
      if (entry?.kind !== "body") return Status.BADF;
      sb.remove(h);
      return Status.OK;
    },
    abandon(h: number) {
      const entry = sb.get(h);
      if (entry?.kind === "streaming") {
        sb.remove(h);
        entry.body.abort("the guest abandoned the body");
        return Status.OK;
      }
      if (entry?.kind !== "body") return Status.BADF;
      sb.remove(h);
      return Status.OK;
    },
    known_length(h: number, lengthOut: number) {
      const entry = sb.get(h);
      if (entry?.kind === "streaming") return Status.NONE;
      if (entry?.kind !== "body") return Status.BADF;
      const length = entry.body.knownLength();
      if (length === null) return Status.NONE;
      sb.memory.setU64(lengthOut, length);
      return Status.OK;
    },
  };
}

/** A sink writing into a streaming body without closing it (append keeps the target open). */
function passThrough(target: StreamingBody): StreamingBody {
  return new StreamingBody({ write: (chunk) => target.write(chunk), close: () => undefined, abort: (reason) => target.abort(reason) });
}
