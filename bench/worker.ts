/**
 * `npm run bench` worker: edge-kv's own drivers against in-process baselines, for one store size.
 * Drivers are added here as they land (an entry point that does not exist yet bundles empty and its
 * subjects are skipped).
 */
import { edgeKvMemory, plainMap, sortedArray, type Subject } from "./lib/subjects.js";
import type { Workload } from "./lib/suite.js";
import { workerMain } from "./lib/worker-main.js";
import { fsSubjects } from "./lib/fs-subjects.js";
import { serverSubjects } from "./lib/server-subjects.js";
import { edgeKvIndexedDB, idbKeyvalBaseline, IDB_WORKLOADS } from "./lib/idb-subjects.js";

const MEMORY_ONLY_AT = 1_000_000;
/** Issue 4 asks for 10k keys; fake-indexeddb slows down sharply beyond that. */
const IDB_KEYS = 10_000;

await workerMain(async (n) => {
  const subjects: Subject[] = [plainMap, sortedArray, edgeKvMemory];
  if (n < MEMORY_ONLY_AT) {
    subjects.push(...(await fsSubjects()));
    const idb = edgeKvIndexedDB(IDB_KEYS);
    if (idb) subjects.push(idb, idbKeyvalBaseline(IDB_KEYS));
    subjects.push(...(await serverSubjects()));
  }
  return {
    subjects,
    workloadsAt: (size, subject) => {
      if (subject.name.includes("IndexedDB") || subject.name.startsWith("idb-keyval")) return [...IDB_WORKLOADS];
      if (subject.workloads) return subject.workloads;
      if (size >= MEMORY_ONLY_AT) return ["put", "get", "getText", "listPrefix", "listAll", "mixed"];
      return ["put", "get", "getText", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB"];
    },
  };
});
