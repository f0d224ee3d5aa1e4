/**
 * Backends: `fastly_backend`, dynamic backend registration and the send calls of `fastly_http_req`,
 * after Viceroy's `src/wiggle_abi/{backend_impl,req_impl}.rs` and `src/upstream.rs` (274febd). The
 * environment performs the request with Node's fetch; the URL is the backend's origin and path
 * prefix joined with the request's path, the Host header is the backend's override host, else the
 * request's Host header, else its URL's authority (Viceroy's canonical_host_header/canonical_uri).
 */
import { BACKEND_FLAGS_KNOWN, BackendFlag, INVALID_HANDLE, Status } from "../abi.js";
import { StreamingBody } from "../body.js";
import { concatBytes } from "../../bytes.js";
import { HeaderMap } from "../headers.js";
import type { OutgoingRequest, SendAnswer, StaticBackend } from "../protocol.js";
import type { Pending, RequestParts, Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

function backendPort(url: URL): number {
  return url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
}

export function backendFunctions(sb: Sandbox): HostModule {
  const lookup = (ptr: number, len: number): StaticBackend | undefined => {
    const name = sb.memory.utf8Strict(ptr, len);
    return name === null ? undefined : sb.backends.get(name);
  };
  const u32 = (value: (backend: StaticBackend) => number | null) => (ptr: number, len: number, out: number) => {
    const backend = lookup(ptr, len);
    if (!backend) return Status.INVAL;
    const result = value(backend);
    if (result === null) return Status.UNSUPPORTED; // Viceroy: NotAvailable (no timing or TLS data)
    sb.memory.setU32(out, result);
    return Status.OK;
  };
  return {
    exists(ptr: number, len: number, out: number) {
      sb.memory.setU32(out, lookup(ptr, len) ? 1 : 0);
      return Status.OK;
    },
    is_healthy: u32(() => 0), // unknown: no health checks
    is_dynamic: u32((backend) => (backend.dynamic ? 1 : 0)),
    is_ssl: u32((backend) => (new URL(backend.url).protocol === "https:" ? 1 : 0)),
    get_port(ptr: number, len: number, out: number) {
      const backend = lookup(ptr, len);
      if (!backend) return Status.INVAL;
      sb.memory.setU16(out, backendPort(new URL(backend.url)));
      return Status.OK;
    },
    get_host(ptr: number, len: number, buf: number, bufLen: number, nwrittenOut: number) {
      const backend = lookup(ptr, len);
      if (!backend) return Status.INVAL;
      return sb.memory.writeOut(new TextEncoder().encode(new URL(backend.url).hostname), buf, bufLen, nwrittenOut);
    },
    get_override_host(ptr: number, len: number, buf: number, bufLen: number, nwrittenOut: number) {
      const backend = lookup(ptr, len);
      if (!backend) return Status.INVAL;
      if (backend.hostOverride === null) return Status.NONE;
      return sb.memory.writeOut(new TextEncoder().encode(backend.hostOverride), buf, bufLen, nwrittenOut);
    },
    get_connect_timeout_ms: u32(() => null),
    get_first_byte_timeout_ms: u32(() => null),
    get_between_bytes_timeout_ms: u32(() => null),
    get_ssl_min_version: u32(() => null),
    get_ssl_max_version: u32(() => null),
    get_http_keepalive_time: u32(() => 0),
    get_tcp_keepalive_enable: u32(() => 0),
    get_tcp_keepalive_interval: u32(() => 0),
    get_tcp_keepalive_probes: u32(() => 0),
    get_tcp_keepalive_time: u32(() => 0),
  };
}

/** The send calls and dynamic backends, merged into `fastly_http_req`. */
export function sendFunctions(sb: Sandbox): HostModule {
  let nextStream = 1;

  const startSend = (reqHandle: number, bodyHandle: number, backendPtr: number, backendLen: number, streaming: boolean): Pending<SendAnswer> | number => {
    const request = sb.entry(reqHandle, "request");
    const body = sb.entry(bodyHandle, "body");
    if (!request || !body) return Status.BADF;
    const name = sb.memory.utf8Strict(backendPtr, backendLen);
    if (name === null) return Status.INVAL;
    const backend = sb.backends.get(name);
    if (!backend) {
      sb.post({ t: "stdio", fd: 2, text: `edge-kv/wasm: backend '${name}' is not defined. Defined backends: ${[...sb.backends.keys()].join(", ") || "none"}. Define it in fastly.toml [local_server.backends] or the backends option of loadWasmApp.\n` });
      return Status.INVAL; // Viceroy: UnknownBackend → INVAL
    }
    sb.remove(reqHandle);
    const outgoing = outgoingRequest(name, backend, request.parts);
    const queued = streaming ? null : body.body.drain();
    if (queued !== null) {
      sb.remove(bodyHandle);
      outgoing.body = concatBytes(queued);
    } else {
      const streamId = nextStream++;
      outgoing.streamId = streamId;
      const stream = new StreamingBody({
        write: (bytes) => sb.post({ t: "send-chunk", streamId, bytes }),
        close: () => sb.post({ t: "send-end", streamId, error: null }),
        abort: (reason) => sb.post({ t: "send-end", streamId, error: reason }),
      });
      if (streaming) {
        for (const chunk of body.body.drain() ?? []) stream.write(chunk);
        sb.replace(bodyHandle, { kind: "streaming", body: stream });
      } else {
        sb.remove(bodyHandle);
        sb.pump(body.body, stream);
      }
    }
    return sb.request<SendAnswer>({ t: "send", id: sb.nextId(), request: outgoing }, `backend '${name}' to respond`);
  };

  const sendAsync = (reqHandle: number, bodyHandle: number, backendPtr: number, backendLen: number, streaming: boolean, pendingOut: number) => {
    const pending = startSend(reqHandle, bodyHandle, backendPtr, backendLen, streaming);
    if (typeof pending === "number") return pending;
    sb.memory.setU32(pendingOut, sb.insert({ kind: "pending-request", pending }));
    return Status.OK;
  };

  /** Writes the response of a settled send, or its failure (status and send error detail). */
  const deliver = (answer: SendAnswer, errorDetail: number, respOut: number, bodyOut: number): number => {
    if (!answer.ok) {
      if (errorDetail !== 0) sb.memory.setU32(errorDetail, answer.detail);
      return answer.status;
    }
    const headers = HeaderMap.from(answer.headers);
    const response = sb.insert({ kind: "response", parts: { status: answer.status, headers, version: 2, remote: null } });
    const body = sb.insert({ kind: "body", body: sb.incomingBody(answer.bodyId, answer.contentLength) });
    sb.memory.setU32(respOut, response);
    sb.memory.setU32(bodyOut, body);
    return Status.OK;
  };

  const wait = (h: number, errorDetail: number, respOut: number, bodyOut: number) => {
    const entry = sb.entry(h, "pending-request");
    if (!entry) return Status.BADF;
    sb.remove(h);
    sb.waitUntil(() => entry.pending.settled, null, entry.pending.what);
    return deliver(entry.pending.value as SendAnswer, errorDetail, respOut, bodyOut);
  };

  const send = (reqHandle: number, bodyHandle: number, backendPtr: number, backendLen: number, errorDetail: number, respOut: number, bodyOut: number) => {
    const pending = startSend(reqHandle, bodyHandle, backendPtr, backendLen, false);
    if (typeof pending === "number") return pending;
    sb.waitUntil(() => pending.settled, null, pending.what);
    return deliver(pending.value!, errorDetail, respOut, bodyOut);
  };

  const poll = (h: number, errorDetail: number, doneOut: number, respOut: number, bodyOut: number) => {
    sb.poll();
    const entry = sb.entry(h, "pending-request");
    if (!entry) return Status.BADF;
    if (!entry.pending.settled) {
      sb.memory.setU32(doneOut, 0);
      sb.memory.setU32(respOut, INVALID_HANDLE);
      sb.memory.setU32(bodyOut, INVALID_HANDLE);
      return Status.OK;
    }
    sb.remove(h);
    sb.memory.setU32(doneOut, 1);
    return deliver(entry.pending.value as SendAnswer, errorDetail, respOut, bodyOut);
  };

  const select = (handlesPtr: number, handlesLen: number, errorDetail: number, doneOut: number, respOut: number, bodyOut: number) => {
    if (handlesLen === 0) return Status.INVAL;
    const handles: number[] = [];
    for (let i = 0; i < handlesLen >>> 0; i++) handles.push(sb.memory.u32(handlesPtr + i * 4));
    const entries = handles.map((h) => sb.entry(h, "pending-request"));
    if (entries.some((entry) => !entry)) return Status.BADF;
    let index = -1;
    sb.waitUntil(() => (index = entries.findIndex((entry) => entry!.pending.settled)) !== -1, null, "a backend to respond");
    sb.remove(handles[index]!);
    sb.memory.setU32(doneOut, index);
    const answer = entries[index]!.pending.value as SendAnswer;
    if (!answer.ok) {
      // Viceroy reports a failed request in a select as invalid handles, not as an error.
      sb.memory.setU32(respOut, INVALID_HANDLE);
      sb.memory.setU32(bodyOut, INVALID_HANDLE);
      return Status.OK;
    }
    return deliver(answer, errorDetail, respOut, bodyOut);
  };

  return {
    send_async: (r: number, b: number, p: number, l: number, out: number) => sendAsync(r, b, p, l, false, out),
    send_async_streaming: (r: number, b: number, p: number, l: number, out: number) => sendAsync(r, b, p, l, true, out),
    send_async_v2: (r: number, b: number, p: number, l: number, streaming: number, out: number) => sendAsync(r, b, p, l, streaming === 1, out),
    send: (r: number, b: number, p: number, l: number, respOut: number, bodyOut: number) => send(r, b, p, l, 0, respOut, bodyOut),
    send_v2: send,
    send_v3: send,
    pending_req_wait: (h: number, respOut: number, bodyOut: number) => wait(h, 0, respOut, bodyOut),
    pending_req_wait_v2: wait,
    pending_req_poll: (h: number, doneOut: number, respOut: number, bodyOut: number) => poll(h, 0, doneOut, respOut, bodyOut),
    pending_req_poll_v2: poll,
    pending_req_select: (p: number, l: number, doneOut: number, respOut: number, bodyOut: number) => select(p, l, 0, doneOut, respOut, bodyOut),
    pending_req_select_v2: select,
    register_dynamic_backend(namePtr: number, nameLen: number, targetPtr: number, targetLen: number, mask: number, config: number) {
      const name = sb.memory.utf8Strict(namePtr, nameLen);
      const target = sb.memory.utf8Strict(targetPtr, targetLen);
      if (name === null || target === null) return Status.INVAL;
      if (mask & BackendFlag.RESERVED || (mask & ~BACKEND_FLAGS_KNOWN) !== 0) return Status.INVAL;
      // struct dynamic_backend_config: host_override ptr @0, len @4, connect @8, first byte @12, ...
      let hostOverride: string | null = null;
      if (mask & BackendFlag.HOST_OVERRIDE) {
        const length = sb.memory.u32(config + 4);
        if (length === 0 || length > 1024) return Status.INVAL;
        hostOverride = sb.memory.utf8Strict(sb.memory.u32(config), length);
        if (hostOverride === null) return Status.INVAL;
      }
      const scheme = mask & BackendFlag.USE_SSL ? "https" : "http";
      let url: string;
      try {
        url = new URL(`${scheme}://${target}/`).origin;
      } catch {
        return Status.ERROR; // Viceroy: the URI does not build
      }
      if (sb.backends.has(name)) return Status.ERROR; // Viceroy: BackendNameRegistryError
      sb.backends.set(name, { url, hostOverride, dynamic: true });
      return Status.OK;
    },
  };
}

/** The request as the backend gets it (Viceroy's canonical_uri / canonical_host_header). */
function outgoingRequest(name: string, backend: StaticBackend, parts: RequestParts): OutgoingRequest {
  const origin = new URL(backend.url);
  let pathAndQuery = "/";
  let authority: string | null = null;
  try {
    const url = new URL(parts.uri);
    pathAndQuery = url.pathname + url.search;
    authority = url.host;
  } catch {
    if (parts.uri.startsWith("/")) pathAndQuery = parts.uri;
  }
  const host = backend.hostOverride ?? parts.headers.get("host")?.[0] ?? authority ?? origin.host;
  let base = origin.pathname;
  if (!base.endsWith("/")) base += "/";
  const url = `${origin.protocol}//${origin.host}${base}${pathAndQuery.startsWith("/") ? pathAndQuery.slice(1) : pathAndQuery}`;
  const headers = parts.headers.clone();
  headers.insert("host", host);
  return {
    backend: name,
    url,
    method: parts.method,
    headers: [...headers.entries()],
    body: null,
    streamId: null,
    host,
    autoDecompress: parts.autoDecompress,
  };
}
