/**
 * A doorbell for processes waiting for a store folder's lock (src/node/fs-lock.ts). A waiter listens
 * on a Unix socket named after its waiter file; a holder that releases the lock rings the waiters it
 * finds in the folder (one byte on a connection kept for the next time), so they retry the lock at
 * once instead of sleeping out their poll interval.
 *
 * The lock itself never depends on it: a ring is only a hint to retry now, a missed ring costs a poll
 * interval, and ringing a waiter that is gone (or cannot be reached) fails harmlessly. The socket
 * lives in Linux's abstract namespace (an address starting with a NUL byte): no file to leave behind,
 * no 108-byte path limit, and it disappears with its process. Elsewhere there is no doorbell and
 * waiters only poll.
 */
import { connect, createServer, type Server, type Socket } from "node:net";

/** Whether this platform has abstract Unix socket addresses. */
export const DOORBELLS = process.platform === "linux";

/** The socket address of the waiter whose waiter file is named `token`. */
const address = (token: string) => `\0edge-kv-lock-${token}`;

/** Connections to waiters' doorbells, kept for their next rings (a waiter usually waits again soon). */
const connections = new Map<string, Socket>();
const BELL = new Uint8Array([1]);

/** Rings the doorbell of the waiter `token` (one byte on a kept connection). Never throws. */
export function ring(token: string): void {
  if (!DOORBELLS) return;
  let socket = connections.get(token);
  if (socket === undefined) {
    try {
      socket = connect({ path: address(token) });
    } catch {
      return; // not reachable: the waiter polls
    }
    const connection = socket;
    const forget = () => {
      if (connections.get(token) === connection) connections.delete(token);
      connection.destroy();
    };
    // The waiter is gone, or has no doorbell (another host or version): it polls.
    connection.on("error", forget).on("close", forget).on("end", forget);
    connection.unref();
    connections.set(token, connection);
  }
  // A ring still unsent (the waiter is not reading) is enough: they do not add up.
  if (socket.writableLength === 0) socket.write(BELL);
}

/** One waiter's doorbell. */
export class Doorbell {
  readonly #token: string;
  #server: Server | null = null;
  /** Resolves true once listening, false when this platform or socket cannot have a doorbell. */
  #ready: Promise<boolean> | null = null;
  /** Rung since the last `reset`. */
  #rung = false;
  /** Ends the current `wait`, when one is running. */
  #wake: (() => void) | null = null;
  /** Connections from releasers, kept open for their next rings. */
  readonly #callers = new Set<Socket>();
  /** How many waits a ring ended (tests and diagnostics). */
  wokenByRing = 0;

  constructor(token: string) {
    this.#token = token;
  }

  /** Starts listening (once); resolves whether rings can reach this doorbell. */
  listen(): Promise<boolean> {
    if (this.#ready !== null) return this.#ready;
    if (!DOORBELLS) return (this.#ready = Promise.resolve(false));
    this.#ready = new Promise<boolean>((resolve) => {
      const server = createServer((socket) => {
        this.#callers.add(socket);
        socket.unref();
        socket.on("data", () => this.#ring());
        socket.on("error", () => socket.destroy());
        socket.on("close", () => this.#callers.delete(socket));
      });
      server.on("error", () => {
        this.#server = null;
        resolve(false);
      });
      server.listen({ path: address(this.#token) }, () => resolve(true));
      server.unref(); // a waiting acquire keeps the process alive with its timer, not with this socket
      this.#server = server;
    });
    return this.#ready;
  }

  #ring(): void {
    this.#rung = true;
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Forgets earlier rings: call just before trying the lock, so only a ring that follows the attempt ends the next wait. */
  reset(): void {
    this.#rung = false;
  }

  /** Waits `ms`, or less if the doorbell rings (or rang since the last reset). Resolves whether it rang. */
  wait(ms: number): Promise<boolean> {
    if (this.#rung) {
      this.wokenByRing++;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve(false);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.wokenByRing++;
        resolve(true);
      };
    });
  }

  close(): void {
    this.#server?.close();
    this.#server = null;
    for (const socket of this.#callers) socket.destroy();
    this.#callers.clear();
    this.#ready = null;
    this.#rung = false;
  }
}
