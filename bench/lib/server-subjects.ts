/**
 * edge-kv's REST server (issue 6) on loopback: HTTP put/get through Fastly's KV REST API. Empty
 * until `edge-kv/server` exports createServer.
 */
import * as server from "edge-kv/server";
import type { Subject } from "./subjects.js";

export async function serverSubjects(): Promise<Subject[]> {
  if (!("createServer" in server)) return [];
  return [];
}
