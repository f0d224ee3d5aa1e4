/**
 * edge-kv's filesystem driver (issue 3), durable and relaxed, in a temporary folder under
 * .bench-tmp/. Empty until `edge-kv/node` exports FileSystemDriver.
 */
import * as node from "edge-kv/node";
import type { Subject } from "./subjects.js";

export async function fsSubjects(): Promise<Subject[]> {
  if (!("FileSystemDriver" in node)) return [];
  return [];
}
