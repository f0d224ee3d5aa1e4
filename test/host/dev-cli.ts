/** Runs `edge-kv dev` from source in a child process, as a user runs it in their project folder. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
/** tsx's loader by path: the project folders the CLI runs in have no node_modules of their own. */
const TSX = new URL("../../node_modules/tsx/dist/loader.mjs", import.meta.url).href;

export interface RunningDev {
  url: string;
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout (or stderr) has a line matching `pattern`. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<string>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** `env`: variables added to this process's environment for the child. */
export function startDev(args: string[], cwd: string, env: Record<string, string> = {}): Promise<RunningDev> {
  const child = spawn(process.execPath, ["--import", TSX, CLI, "dev", "--port", "0", ...args], { cwd, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((waiter) => waiter());
  child.stdout.on("data", (chunk: Buffer) => ((out += chunk.toString()), wake()));
  child.stderr.on("data", (chunk: Buffer) => ((err += chunk.toString()), wake()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code, signal) => (wake(), resolve(code ?? signal as never))));
  const waitFor = (pattern: RegExp, stream: "stdout" | "stderr" = "stdout") =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within 30 s\nstdout:\n${out}\nstderr:\n${err}`)), 30_000);
      const check = () => {
        const match = pattern.exec(stream === "stdout" ? out : err);
        if (match) {
          clearTimeout(timer);
          resolve(match[1] ?? match[0]);
        } else if (child.exitCode !== null) {
          clearTimeout(timer);
          reject(new Error(`edge-kv dev exited with ${child.exitCode} before printing ${pattern}\nstdout:\n${out}\nstderr:\n${err}`));
        } else waiters.push(check);
      };
      check();
    });
  const running: RunningDev = {
    url: "",
    child,
    stdout: () => out,
    stderr: () => err,
    waitFor,
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
  // The third start-up line is printed once the signal handlers are in place.
  return waitFor(/edge-kv dev: serving \S+ on (http:\/\/\S+)\n.*\n.*Ctrl-C stops it\n/).then((url) => Object.assign(running, { url }));
}

/** Runs `edge-kv dev <args>` expecting it to stop by itself (a start-up error); resolves its exit code and output. */
export function runDevToExit(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--import", TSX, CLI, "dev", ...args], { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
