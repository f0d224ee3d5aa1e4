import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temporary folder per call; remove them all with removeTempFolders(). */
const made: string[] = [];
export function tempFolder(label = "edge-kv-fs-"): string {
  const folder = mkdtempSync(join(tmpdir(), label));
  made.push(folder);
  return folder;
}

export function removeTempFolders(): void {
  for (const folder of made.splice(0)) rmSync(folder, { recursive: true, force: true });
}

import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

export interface Child {
  process: ChildProcess;
  /** Lines the child printed so far. */
  lines: string[];
  /** Resolves when the child exits: its exit code and signal, and everything on stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  /** Resolves once `predicate` holds for a printed line (rejects if the child exits first). */
  waitForLine(predicate: (line: string) => boolean): Promise<string>;
}

/** Runs test/node/children/<script> with tsx (public package names resolve through tsconfig paths). */
export function runChild(script: string, args: string[], options: { uid?: number; gid?: number } = {}): Child {
  const child = spawn(process.execPath, ["--import", "tsx", join("test/node/children", script), ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });
  const lines: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void; reject: (error: Error) => void }> = [];
  let partial = "";
  let stderr = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      for (const waiter of waiters.splice(0)) {
        if (waiter.predicate(line)) waiter.resolve(line);
        else waiters.push(waiter);
      }
    }
  });
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    child.on("exit", (code, signal) => {
      for (const waiter of waiters.splice(0)) waiter.reject(new Error(`child ${script} exited (${code ?? signal}) first; stderr: ${stderr}`));
      resolve({ code, signal, stderr });
    });
  });
  return {
    process: child,
    lines,
    exited,
    waitForLine(predicate) {
      const seen = lines.find(predicate);
      if (seen !== undefined) return Promise.resolve(seen);
      if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`child ${script} already exited; stderr: ${stderr}`));
      return new Promise((resolve, reject) => waiters.push({ predicate, resolve, reject }));
    },
  };
}
