/**
 * The `edge-kv` command as a child process (run from the sources with tsx): start a long-running
 * `serve` and wait for its URL, or run a command to completion. Every child is stopped by stopAll().
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";

const CLI = join(import.meta.dirname, "../../src/cli/main.ts");
const running = new Set<ChildProcess>();

export interface Started {
  child: ChildProcess;
  url: string;
  /** Everything printed (stdout and stderr) so far. */
  output(): string;
}

function spawnCli(args: string[], env: Record<string, string | undefined>): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** Runs `edge-kv <args>`; resolves with the URL from the first line once it listens (at most 15 s). */
export function startCli(args: string[], env: Record<string, string | undefined> = {}): Promise<Started> {
  const child = spawnCli(args, env);
  let output = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 15 s: ${output}`)), 15_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code}: ${output}`));
    });
  });
}

/** Runs `edge-kv <args>` to completion (at most 15 s) and returns its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawnCli(args, env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the CLI did not exit within 15 s")), 15_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Stops a child with SIGTERM; resolves with its exit code. */
export function stopCli(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.removeAllListeners("exit");
    child.on("exit", (code) => {
      running.delete(child);
      resolve(code);
    });
    child.kill("SIGTERM");
  });
}

/** Stops every child still running (use in afterEach). */
export async function stopAll(): Promise<void> {
  for (const child of [...running]) await stopCli(child);
}
