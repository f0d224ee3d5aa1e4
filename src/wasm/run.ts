/**
 * Runs one downstream request in a fresh instance of the guest module, as Compute does: new sandbox,
 * new instance, `_start`, then whatever the guest left (a body still being forwarded, an open stream,
 * no response at all) is settled here.
 */
import { HeaderMap } from "./headers.js";
import { bindImports, hostModules } from "./imports/index.js";
import { importsOf, takeInstance } from "./instances.js";
import type { RequestStart, ToSandbox } from "./protocol.js";
import { GuestTrap, Sandbox, type Transport } from "./sandbox.js";
import { createWasi } from "./wasi.js";

export interface RunResult {
  /** The guest's exit status (0 success; the JS runtime exits 1 or 255 after a failed request). */
  exitCode: number | null;
  /** Why the guest stopped abnormally (a wasm trap, a host trap), or null. */
  trap: string | null;
  /** Milliseconds to instantiate the module (spent before the request when `ahead`), and to run `_start`. */
  instantiateMs: number;
  /** The instance was made ahead of the request, while the thread was idle. */
  ahead: boolean;
  runMs: number;
}

/** Builds the transport for a sandbox; `receive` delivers environment messages to it. */
export type TransportFactory = (receive: (message: ToSandbox) => void) => Transport;

export function runRequest(module: WebAssembly.Module, start: RequestStart, connect: TransportFactory): RunResult {
  const sandbox: Sandbox = new Sandbox(start, connect((message) => sandbox.receive(message)));
  const unsupported = new Set<string>();
  const onUnsupported = (name: string) => {
    if (unsupported.has(name)) return;
    unsupported.add(name);
    sandbox.post({ t: "unsupported", name });
  };
  const onBug = (message: string) => sandbox.post({ t: "stdio", fd: 2, text: `${message}\n` });
  let memory: WebAssembly.Memory | null = null;
  const startedAt = performance.now();
  const wasi = createWasi(start.env, (fd, text) => sandbox.post({ t: "stdio", fd, text }));
  const modules = hostModules(sandbox, HeaderMap.from(start.headers), startedAt, () => memory);
  const taken = takeInstance(module, bindImports(importsOf(module), modules, wasi.imports, onUnsupported, onBug));
  const instance = taken.instance;
  memory = instance.exports.memory as WebAssembly.Memory;
  sandbox.memory.attach(memory);
  wasi.attach(memory);
  const instantiated = performance.now();

  let exitCode: number | null = null;
  let trap: string | null = null;
  try {
    exitCode = wasi.start(instance);
  } catch (error) {
    trap = error instanceof GuestTrap ? error.message : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } finally {
    taken.release();
  }
  const ran = performance.now();

  if (trap === null) {
    // Bodies the guest handed on while they still arrived keep flowing after it exits.
    try {
      sandbox.waitUntil(() => sandbox.pumpsDone(), null, "a forwarded body to finish");
    } catch (error) {
      trap = error instanceof Error ? error.message : String(error);
    }
  }
  for (const stream of sandbox.openStreams()) stream.abort("the guest exited without closing the body");
  if (!sandbox.responded) {
    // The JS runtime answers 500 itself when it can; a guest that trapped or exited without
    // responding gets Viceroy's answer: 500 with the reason as the body.
    const reason = trap ?? `the guest exited (status ${exitCode}) without sending a response`;
    sandbox.post({ t: "respond", head: { status: 500, headers: [["content-type", "text/plain; charset=utf-8"]], body: new TextEncoder().encode(reason) } });
  }
  return { exitCode, trap, instantiateMs: taken.instantiateMs, ahead: taken.ahead, runMs: ran - instantiated };
}
