/**
 * Worker threads that run guest instances, started as needed up to a limit; a request waits for a
 * free worker. The compiled module is shared with each worker (no recompilation).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import { EdgeKvError } from "../errors.js";
import type { CompiledModule } from "./module-cache.js";
import type { RequestStart } from "./protocol.js";
import type { RunResult } from "./run.js";
import type { RequestSession } from "./session.js";
import type { Answer, FromWorker, WorkerInit } from "./worker.js";

/**
 * The worker script: the built one next to this file, or (running from the TypeScript sources, as
 * the test suite does) a bootstrap that registers tsx and imports the source.
 */
function workerScript(): { script: URL | string; eval: boolean } {
  const here = import.meta.url;
  if (!here.endsWith(".ts")) return { script: new URL("./wasm-worker.js", here), eval: false };
  const source = JSON.stringify(new URL("./worker.ts", here).href);
  // tsx's ESM API as edge-kv resolves it (the working directory, a user's project, may not have tsx).
  const manifest = createRequire(here).resolve("tsx/package.json");
  const { exports } = JSON.parse(readFileSync(manifest, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  const tsx = JSON.stringify(pathToFileURL(join(dirname(manifest), exports["./esm/api"]!.import.default)).href);
  return { script: `import(${tsx}).then(({ register }) => { register(); return import(${source}); });`, eval: true };
}

interface Job {
  start: RequestStart;
  session: RequestSession;
  resolve(result: RunResult): void;
  reject(error: Error): void;
}

class GuestWorker {
  readonly worker: Worker;
  #answers: MessagePort;
  #counter: Int32Array;
  job: Job | null = null;

  constructor(module: CompiledModule, onExit: (worker: GuestWorker, error: Error) => void, onIdle: (worker: GuestWorker) => void) {
    const { script, eval: isEval } = workerScript();
    const channel = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.#counter = new Int32Array(signal);
    this.#answers = channel.port1;
    const init: WorkerInit = { module: module.module, signal, answers: channel.port2 };
    this.worker = new Worker(script, { eval: isEval, workerData: init, transferList: [channel.port2] });
    this.worker.on("message", (message: FromWorker) => {
      const job = this.job;
      if (!job || message.requestId !== job.start.requestId) return;
      if (message.t === "host") job.session.handle(message.message);
      else {
        this.job = null;
        if (message.t === "done") job.resolve(message.result);
        else job.reject(new EdgeKvError(`the guest's worker failed: ${message.error}`));
        onIdle(this);
      }
    });
    const fail = (error: Error) => {
      const job = this.job;
      this.job = null;
      job?.reject(error);
      onExit(this, error);
    };
    this.worker.on("error", fail);
    this.worker.on("exit", (code) => fail(new EdgeKvError(`the guest's worker thread exited (code ${code})`)));
  }

  run(job: Job): void {
    this.job = job;
    const requestId = job.start.requestId;
    job.session.connect((message) => {
      this.#answers.postMessage({ requestId, message } satisfies Answer);
      Atomics.add(this.#counter, 0, 1);
      Atomics.notify(this.#counter, 0);
    });
    this.worker.postMessage({ t: "run", start: job.start });
  }
}

export class WorkerPool {
  #module: CompiledModule;
  #max: number;
  #idle: GuestWorker[] = [];
  #all = new Set<GuestWorker>();
  #queue: Job[] = [];
  #closing = false;

  constructor(module: CompiledModule, max?: number) {
    this.#module = module;
    this.#max = Math.max(1, max ?? Math.min(4, availableParallelism()));
  }

  run(start: RequestStart, session: RequestSession): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ start, session, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let worker = this.#idle.pop();
      if (!worker) {
        if (this.#all.size >= this.#max) return;
        worker = new GuestWorker(
          this.#module,
          (gone) => {
            this.#all.delete(gone);
            this.#idle = this.#idle.filter((w) => w !== gone);
            if (!this.#closing) this.#dispatch();
          },
          (free) => {
            this.#idle.push(free);
            this.#dispatch();
          },
        );
        this.#all.add(worker);
      }
      worker.run(this.#queue.shift()!);
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    for (const job of this.#queue.splice(0)) job.reject(new EdgeKvError("the wasm app was closed"));
    await Promise.all([...this.#all].map((w) => w.worker.terminate()));
    this.#all.clear();
    this.#idle = [];
  }
}
