/**
 * Running the guest on the calling (main) thread: the fastest path, for stores whose drivers answer
 * synchronously (the memory driver). Messages go to the request's session by direct call and its
 * answers come back within the same call. Nothing can arrive while the guest runs, so a guest that
 * must wait for an asynchronous answer (a driver returning a Promise, a backend) traps with a message
 * saying to use a worker thread; timers sleep the thread.
 */
import { prepareInstance } from "./instances.js";
import type { RequestStart } from "./protocol.js";
import { runRequest, type RunResult } from "./run.js";
import { GuestTrap } from "./sandbox.js";
import type { RequestSession } from "./session.js";

const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function runInline(module: WebAssembly.Module, start: RequestStart, session: RequestSession): RunResult {
  let live = true;
  try {
    return runRequest(module, start, (receive) => {
      // Answers that come after the guest stopped (an asynchronous driver's) are dropped.
      session.connect((message) => live && receive(message));
      return {
        post: (message) => session.handle(message),
        poll: () => undefined,
        block(timeoutMs, what) {
          if (timeoutMs === null) {
            throw new GuestTrap(
              `edge-kv/wasm: the guest waits for ${what}, which cannot answer while the guest runs on the main thread (an asynchronous store driver, or a backend). Load the app with { thread: "worker" }.`,
            );
          }
          Atomics.wait(sleeper, 0, 0, Math.max(0, timeoutMs));
        },
      };
    });
  } finally {
    live = false;
    prepareInstance(module); // the next request's instance, made while the thread is idle
  }
}
