/**
 * `fastly_http_downstream` (and the deprecated downstream calls of `fastly_http_req`) and `fastly_geo`,
 * answering as Viceroy does (`src/wiggle_abi/{http_downstream,req_impl,geo_impl}.rs`, 274febd): the
 * client and server addresses, a 32-hex-digit request id, TLS and fingerprint data only when the
 * caller gave some (else NONE), bot data from `x-fastly-bot-*` request headers, and the default
 * geolocation record for loopback addresses.
 */
import { isIP } from "node:net";
import { VICEROY_LOOPBACK_GEO } from "../../host/messages.js";
import { Status } from "../abi.js";
import { utf8Bytes } from "../guest-memory.js";
import type { HeaderMap } from "../headers.js";
import type { Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

/** IP address text → 4 or 16 octets. */
export function ipOctets(address: string): Uint8Array | null {
  const version = isIP(address);
  if (version === 4) return Uint8Array.from(address.split(".").map(Number));
  if (version !== 6) return null;
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  const tail: number[] = [];
  if (v4) {
    const [a, b, c, d] = v4[1]!.split(".").map(Number) as [number, number, number, number];
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, -v4[1]!.length) + "0:0";
  }
  const [head, rest] = text.split("::") as [string, string | undefined];
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((group) => parseInt(group, 16)));
  let groups = parse(head);
  if (rest !== undefined) {
    const back = parse(rest);
    groups = [...groups, ...new Array<number>(8 - groups.length - back.length).fill(0), ...back];
  }
  if (tail.length) groups.splice(6, 2, ...tail);
  const out = new Uint8Array(16);
  groups.forEach((group, i) => {
    out[i * 2] = group >> 8;
    out[i * 2 + 1] = group & 0xff;
  });
  return out;
}

function octetsToText(octets: Uint8Array): string {
  if (octets.length === 4) return [...octets].join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((octets[i]! << 8) | octets[i + 1]!).toString(16));
  return groups.join(":");
}

function isLoopback(octets: Uint8Array): boolean {
  if (octets.length === 4) return octets[0] === 127;
  return octets.every((byte, i) => byte === (i === 15 ? 1 : 0));
}

export function geolocationJson(sb: Sandbox, octets: Uint8Array): string {
  const { addresses, useDefaultLoopback } = sb.start.geolocation;
  const text = octetsToText(octets);
  for (const [address, record] of Object.entries(addresses)) {
    const known = ipOctets(address);
    if (known && octetsToText(known) === text) return JSON.stringify(sortKeys(record));
  }
  return useDefaultLoopback && isLoopback(octets) ? JSON.stringify(VICEROY_LOOPBACK_GEO) : "";
}

function sortKeys(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

const BOT_CATEGORIES = [
  "none", "suspected", "accessibility", "ai-crawler", "ai-fetcher", "content-fetcher", "monitoring-site-tools",
  "online-marketing", "page-preview", "platform-integration", "research", "search-engine-crawler",
  "search-engine-optimization", "security-tools", "headless",
];

export function downstreamFunctions(sb: Sandbox, originalHeaders: HeaderMap): HostModule {
  const isDownstream = (h: number): number => (h >>> 0 === sb.downstreamRequest ? Status.OK : sb.entry(h, "request") ? Status.ERROR : Status.BADF);
  const address = (text: string, h: number, octetsOut: number, nwrittenOut: number) => {
    const check = isDownstream(h);
    if (check !== Status.OK) return check;
    const octets = ipOctets(text);
    if (!octets) return Status.ERROR;
    sb.memory.write(octetsOut, octets);
    sb.memory.setU32(nwrittenOut, octets.length);
    return Status.OK;
  };
  const absent = (h: number) => {
    const check = isDownstream(h);
    return check === Status.OK ? Status.NONE : check;
  };
  const botHeader = (name: string) => originalHeaders.get(`x-fastly-bot-${name}`)?.[0];
  const text = (h: number, value: string | undefined, buf: number, bufLen: number, nwrittenOut: number) => {
    const check = isDownstream(h);
    if (check !== Status.OK) return check;
    if (value === undefined) return Status.NONE;
    return sb.memory.writeOut(utf8Bytes(value), buf, bufLen, nwrittenOut);
  };
  const bytesOut = (h: number, value: Uint8Array, buf: number, bufLen: number, nwrittenOut: number) => {
    const check = isDownstream(h);
    return check === Status.OK ? sb.memory.writeOut(value, buf, bufLen, nwrittenOut) : check;
  };
  const flag = (h: number, out: number, value: string | undefined, required: boolean) => {
    const check = isDownstream(h);
    if (check !== Status.OK) return check;
    if (value === undefined && required) return Status.NONE;
    sb.memory.setU32(out, value === "true" ? 1 : 0);
    return Status.OK;
  };
  const requestId = utf8Bytes(sb.start.clientRequestId);

  const functions: HostModule = {
    downstream_client_ip_addr: (h: number, out: number, nwrittenOut: number) => address(sb.start.clientAddress, h, out, nwrittenOut),
    downstream_server_ip_addr: (h: number, out: number, nwrittenOut: number) => address(sb.start.serverAddress, h, out, nwrittenOut),
    downstream_client_request_id(h: number, buf: number, bufLen: number, nwrittenOut: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      return sb.memory.writeOut(requestId, buf, bufLen, nwrittenOut);
    },
    downstream_client_ddos_detected(h: number, out: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      sb.memory.setU32(out, 0);
      return Status.OK;
    },
    downstream_original_header_names(h: number, buf: number, bufLen: number, cursor: number, endingCursorOut: number, nwrittenOut: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      return sb.memory.writeMultiValue(originalHeaders.nameBytes(), buf, bufLen, cursor, endingCursorOut, nwrittenOut);
    },
    downstream_original_header_count(h: number, out: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      sb.memory.setU32(out, originalHeaders.names().length);
      return Status.OK;
    },
    downstream_bot_analyzed: (h: number, out: number) => flag(h, out, botHeader("analyzed"), false),
    downstream_bot_detected: (h: number, out: number) => flag(h, out, botHeader("detected"), false),
    downstream_bot_verified: (h: number, out: number) => flag(h, out, botHeader("verified"), true),
    downstream_bot_name: (h: number, buf: number, bufLen: number, nwrittenOut: number) => text(h, botHeader("name"), buf, bufLen, nwrittenOut),
    downstream_bot_category: (h: number, buf: number, bufLen: number, nwrittenOut: number) => text(h, botHeader("category"), buf, bufLen, nwrittenOut),
    downstream_bot_category_kind(h: number, out: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      const category = botHeader("category")?.toLowerCase();
      if (category === undefined) return Status.NONE;
      let kind = BOT_CATEGORIES.indexOf(category);
      if (kind === -1) kind = /^\d+$/.test(category) ? Number(category) : -1;
      if (kind < 0 || kind > 0xffffffff) return Status.NONE;
      sb.memory.setU32(out, kind);
      return Status.OK;
    },
    next_request(_mask: number, _options: number, handleOut: number) {
      // One request per instance, as Compute's default: the promise never yields a request.
      sb.memory.setU32(handleOut, sb.insert({ kind: "request-promise" }));
      return Status.OK;
    },
    next_request_wait(h: number) {
      return sb.entry(h, "request-promise") && sb.remove(h) ? Status.NONE : Status.BADF;
    },
    next_request_abandon(h: number) {
      return sb.entry(h, "request-promise") && sb.remove(h) ? Status.OK : Status.BADF;
    },
    fastly_key_is_valid(h: number, out: number) {
      const check = isDownstream(h);
      if (check !== Status.OK) return check;
      sb.memory.setU32(out, 0);
      return Status.OK;
    },
  };
  // TLS and fingerprint data: what the caller gave (client overrides), else absent, as for a
  // plain-HTTP local request on Viceroy (ValueAbsent → NONE).
  for (const name of [
    "downstream_client_h2_fingerprint", "downstream_client_oh_fingerprint", "downstream_tls_cipher_openssl_name",
    "downstream_tls_protocol", "downstream_tls_client_servername", "downstream_tls_client_hello", "downstream_tls_raw_client_certificate", "downstream_tls_ja4",
  ]) {
    functions[name] = (h: number, buf: number, bufLen: number, nwrittenOut: number) => {
      const value = sb.start.tls[name];
      return value === undefined ? absent(h) : bytesOut(h, value, buf, bufLen, nwrittenOut);
    };
  }
  functions.downstream_tls_ja3_md5 = (h: number, out: number, nwrittenOut: number) => {
    const value = sb.start.tls["downstream_tls_ja3_md5"];
    return value === undefined ? absent(h) : bytesOut(h, value, out, 16, nwrittenOut);
  };
  // Proxy data: absent (Viceroy: ValueAbsent).
  for (const name of [
    "downstream_tls_client_cert_verify_result", "downstream_resvpnproxy_is_anonymous", "downstream_resvpnproxy_is_anonymous_vpn",
    "downstream_resvpnproxy_is_hosting_provider", "downstream_resvpnproxy_is_proxy_over_vpn",
    "downstream_resvpnproxy_is_public_proxy", "downstream_resvpnproxy_is_relay_proxy",
    "downstream_resvpnproxy_is_residential_proxy", "downstream_resvpnproxy_is_smart_dns_proxy",
    "downstream_resvpnproxy_is_tor_exit_node", "downstream_resvpnproxy_is_vpn_datacenter",
    "downstream_resvpnproxy_vpn_service_name",
  ]) {
    functions[name] = (h: number) => absent(h);
  }
  return functions;
}

/** The same calls under `fastly_http_req`, where they take no request handle (always the downstream one). */
export function legacyDownstreamFunctions(sb: Sandbox, downstream: HostModule): HostModule {
  const bound: HostModule = {};
  for (const name of [
    "downstream_client_ip_addr", "downstream_server_ip_addr", "downstream_client_request_id", "downstream_client_h2_fingerprint",
    "downstream_client_oh_fingerprint", "downstream_client_ddos_detected", "downstream_tls_cipher_openssl_name",
    "downstream_tls_protocol", "downstream_tls_client_hello", "downstream_tls_raw_client_certificate",
    "downstream_tls_client_cert_verify_result", "downstream_tls_ja3_md5", "downstream_tls_ja4", "fastly_key_is_valid",
  ]) {
    const fn = downstream[name]!;
    bound[name] = (...args: number[]) => fn(sb.downstreamRequest, ...args);
  }
  bound.original_header_names_get = (...args: number[]) => downstream.downstream_original_header_names!(sb.downstreamRequest, ...args);
  bound.original_header_count = (out: number) => downstream.downstream_original_header_count!(sb.downstreamRequest, out);
  return bound;
}

export function geoFunctions(sb: Sandbox): HostModule {
  return {
    lookup(addrPtr: number, addrLen: number, buf: number, bufLen: number, nwrittenOut: number) {
      if (addrLen !== 4 && addrLen !== 16) return Status.INVAL;
      const json = geolocationJson(sb, sb.memory.bytes(addrPtr, addrLen));
      return sb.memory.writeOut(utf8Bytes(json), buf, bufLen, nwrittenOut);
    },
  };
}
