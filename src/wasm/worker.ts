/**
 * Worker thread entry: runs guest instances one request at a time. Host functions that need the
 * environment post to the main thread; answers come back on a dedicated MessagePort, and a host
 * function that must have its answer sleeps on a SharedArrayBuffer (Atomics.wait) until the main
 * thread signals that a message is there, then takes it with receiveMessageOnPort.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from "node:worker_threads";
import type { RequestStart, ToSandbox } from "./protocol.js";
import { prepareInstance } from "./instances.js";
import { runRequest } from "./run.js";

export interface WorkerInit {
  module: WebAssembly.Module;
  /** Int32 counter the main thread bumps (and notifies) after each answer it posts. */
  signal: SharedArrayBuffer;
  answers: MessagePort;
}

export type ToWorker = { t: "run"; start: RequestStart };
export type FromWorker =
  | { t: "host"; requestId: number; message: import("./protocol.js").ToHost }
  | { t: "done"; requestId: number; result: import("./run.js").RunResult }
  | { t: "failed"; requestId: number; error: string };
export interface Answer {
  requestId: number;
  message: ToSandbox;
}

const { module, signal, answers } = workerData as WorkerInit;
const counter = new Int32Array(signal);
const port = parentPort!;
prepareInstance(module);

port.on("message", ({ start }: ToWorker) => {
  const requestId = start.requestId;
  try {
    const result = runRequest(module, start, (receive) => {
      let seen = 0;
      return {
        post: (message) => port.postMessage({ t: "host", requestId, message } satisfies FromWorker),
        poll() {
          seen = Atomics.load(counter, 0);
          for (let got = receiveMessageOnPort(answers); got; got = receiveMessageOnPort(answers)) {
            const answer = got.message as Answer;
            if (answer.requestId === requestId) receive(answer.message); // late answers of earlier requests are dropped
          }
        },
        block(timeoutMs) {
          Atomics.wait(counter, 0, seen, timeoutMs === null ? undefined : Math.max(0, timeoutMs));
        },
      };
    });
    port.postMessage({ t: "done", requestId, result } satisfies FromWorker);
  } catch (error) {
    port.postMessage({ t: "failed", requestId, error: error instanceof Error ? (error.stack ?? error.message) : String(error) } satisfies FromWorker);
  }
  prepareInstance(module); // the next request's instance, made while the worker is idle
});
