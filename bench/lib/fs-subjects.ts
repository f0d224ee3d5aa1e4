/**
 * edge-kv's filesystem driver (issue 3) in a temporary folder under .bench-tmp/fs/, removed after
 * each subject. "relaxed" runs every workload and the cold open; "durable" (an fdatasync per write)
 * measures put only, over at most a few seconds of writes, since get and list do not depend on it.
 * Empty until `edge-kv/node` exports FileSystemDriver.
 */
import * as node from "edge-kv/node";
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { ROOT } from "./build.js";
import { openEdgeKv, type Subject } from "./subjects.js";

type Durability = "durable" | "relaxed";
interface FsDriverClass {
  open(options: { directory: string; durability: Durability }): Promise<import("edge-kv").KVDriver>;
}

let folderCounter = 0;

export function fsFolder(label: string): string {
  return join(ROOT, ".bench-tmp", "fs", `${process.pid}-${label}-${++folderCounter}`);
}

export async function fsSubjects(): Promise<Subject[]> {
  const FileSystemDriver = (node as unknown as { FileSystemDriver?: FsDriverClass }).FileSystemDriver;
  if (!FileSystemDriver) return [];
  const subject = (durability: Durability): Subject => ({
    name: `edge-kv fs (${durability})`,
    kind: "edge-kv",
    clock: "wall",
    putBudgetMs: durability === "durable" ? 4000 : 60_000,
    workloads: durability === "durable" ? ["put"] : ["put", "get", "listPrefix", "listAll", "mixed", "append", "put1MiB", "get1MiB", "coldOpen"],
    async open() {
      const directory = fsFolder(durability);
      await mkdir(directory, { recursive: true });
      const openDriver = () => FileSystemDriver.open({ directory, durability });
      return openEdgeKv(await openDriver(), openDriver, () => rm(directory, { recursive: true, force: true }));
    },
  });
  return [subject("durable"), subject("relaxed")];
}
