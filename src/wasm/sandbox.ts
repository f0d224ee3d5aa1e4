/**
 * One guest instance's host-side state, as Viceroy's `Sandbox`: the handle table (requests,
 * responses, bodies, pending operations, stores), the downstream request, and the link to the
 * environment. Host functions are synchronous; an operation the environment answers later (a KV
 * lookup on an asynchronous driver, a backend response) is a `Pending`, and a host function that must
 * have its answer blocks in `waitUntil` — which the transport implements (Atomics.wait in a worker).
 */
import { Body, StreamingBody } from "./body.js";
import { GuestMemory } from "./guest-memory.js";
import { HeaderMap } from "./headers.js";
import type { RequestStart, StaticBackend, ToHost, ToSandbox } from "./protocol.js";

export interface RequestParts {
  method: string;
  uri: string;
  headers: HeaderMap;
  version: number;
  /** Set by auto_decompress_response_set (gzip bit). */
  autoDecompress: boolean;
}

export interface ResponseParts {
  status: number;
  headers: HeaderMap;
  version: number;
  /** Address of the backend that sent this response (get_addr_dest_ip/port). */
  remote: { address: string; port: number } | null;
}

/** An answer the environment will give later (or has given). */
export class Pending<T = unknown> {
  settled = false;
  value: T | undefined;
  constructor(
    readonly id: number,
    readonly what: string,
  ) {}
}

export type HandleEntry =
  | { kind: "request"; parts: RequestParts }
  | { kind: "response"; parts: ResponseParts }
  | { kind: "body"; body: Body }
  | { kind: "streaming"; body: StreamingBody }
  | { kind: "pending-request"; pending: Pending }
  | { kind: "kv-store"; name: string }
  | { kind: "kv-pending"; op: "lookup" | "insert" | "delete" | "list"; pending: Pending }
  | { kind: "config-store"; name: string }
  | { kind: "secret-store"; name: string }
  | { kind: "secret"; bytes: Uint8Array }
  | { kind: "log-endpoint"; name: string }
  | { kind: "request-promise" };

/** How a sandbox reaches its environment. */
export interface Transport {
  post(message: ToHost): void;
  /** Delivers messages that arrived from the environment (calls `sandbox.receive`). */
  poll(): void;
  /**
   * Waits until a message may have arrived or `timeoutMs` passed (null: no limit). When nothing can
   * ever arrive (guest on the main thread, answer owed by an asynchronous driver) it throws, naming
   * `what` the guest waits for.
   */
  block(timeoutMs: number | null, what: string): void;
}

/** The guest waits for something that cannot happen: the sandbox traps with this message. */
export class GuestTrap extends Error {}

export class Sandbox {
  readonly memory = new GuestMemory();
  readonly start: RequestStart;
  readonly downstreamRequest: number;
  readonly downstreamBody: number;
  /** Backends: the service's (fastly.toml) and those the guest registered. */
  readonly backends = new Map<string, StaticBackend>();
  /** The guest called send_downstream. */
  responded = false;
  #handles = new Map<number, HandleEntry>();
  #nextHandle = 1;
  #nextId = 1;
  #pending = new Map<number, Pending>();
  #incoming = new Map<number, Body>();
  #pumps: { source: Body; sink: StreamingBody }[] = [];
  #transport: Transport;

  constructor(start: RequestStart, transport: Transport) {
    this.start = start;
    this.#transport = transport;
    for (const [name, backend] of Object.entries(start.backends)) this.backends.set(name, backend);
    const url = start.url;
    this.downstreamRequest = this.insert({
      kind: "request",
      parts: { method: start.method, uri: url, headers: HeaderMap.from(start.headers), version: 2, autoDecompress: false },
    });
    this.downstreamBody = this.insert({ kind: "body", body: new Body([start.body]) });
  }

  insert(entry: HandleEntry): number {
    const handle = this.#nextHandle++;
    this.#handles.set(handle, entry);
    return handle;
  }

  get(handle: number): HandleEntry | undefined {
    return this.#handles.get(handle >>> 0);
  }

  /** The entry of `handle` if it is of `kind`. */
  entry<K extends HandleEntry["kind"]>(handle: number, kind: K): Extract<HandleEntry, { kind: K }> | undefined {
    const entry = this.#handles.get(handle >>> 0);
    return entry?.kind === kind ? (entry as Extract<HandleEntry, { kind: K }>) : undefined;
  }

  replace(handle: number, entry: HandleEntry): void {
    this.#handles.set(handle >>> 0, entry);
  }

  remove(handle: number): HandleEntry | undefined {
    const entry = this.#handles.get(handle >>> 0);
    this.#handles.delete(handle >>> 0);
    return entry;
  }

  /** Every streaming body the guest left open (aborted when the guest exits). */
  openStreams(): StreamingBody[] {
    const open: StreamingBody[] = [];
    for (const entry of this.#handles.values()) if (entry.kind === "streaming" && !entry.body.done) open.push(entry.body);
    return open;
  }

  // --- the environment ---

  nextId(): number {
    return this.#nextId++;
  }

  /** Delivers the messages that arrived from the environment. */
  poll(): void {
    this.#transport.poll();
  }

  post(message: ToHost): void {
    this.#transport.post(message);
  }

  /** Sends a message that expects an answer; the answer settles the returned Pending. */
  request<T>(message: ToHost & { id: number }, what: string): Pending<T> {
    const pending = new Pending<T>(message.id, what);
    this.#pending.set(message.id, pending);
    this.#transport.post(message);
    return pending;
  }

  /** `request` and wait for the answer. */
  call<T>(message: ToHost & { id: number }, what: string): T {
    const pending = this.request<T>(message, what);
    this.waitUntil(() => pending.settled, null, what);
    return pending.value as T;
  }

  /**
   * A body the environment feeds with body-chunk / body-end messages (its bytes may arrive before
   * the guest takes the response, so the body exists from the first message on).
   */
  incomingBody(bodyId: number, announcedLength: number | null = null): Body {
    let body = this.#incoming.get(bodyId);
    if (!body) {
      body = new Body([], false);
      this.#incoming.set(bodyId, body);
    }
    if (announcedLength !== null) body.announcedLength = announcedLength;
    return body;
  }

  /**
   * Moves `source`'s bytes into `sink` as they arrive, closing it at the end (a body forwarded while
   * it still arrives from a backend). Progressed whenever messages arrive.
   */
  pump(source: Body, sink: StreamingBody): void {
    this.#pumps.push({ source, sink });
    this.#runPumps();
  }

  /** Every pump finished (the runner waits for this after the guest exits). */
  pumpsDone(): boolean {
    return this.#pumps.length === 0;
  }

  #runPumps(): void {
    this.#pumps = this.#pumps.filter(({ source, sink }) => {
      for (;;) {
        const got = source.read(1 << 20);
        if (got === "wait") return true;
        if (got.byteLength === 0) {
          if (source.error !== null) sink.abort(source.error);
          else sink.close();
          return false;
        }
        sink.write(got);
      }
    });
  }

  receive(message: ToSandbox): void {
    if (message.t === "settle") {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      pending.settled = true;
      pending.value = message.value;
    } else if (message.t === "body-chunk") {
      this.incomingBody(message.bodyId).pushBack(message.bytes);
    } else {
      const body = this.incomingBody(message.bodyId);
      body.complete = true;
      body.error = message.error;
    }
    if (this.#pumps.length > 0) this.#runPumps();
  }

  /**
   * Blocks until `condition()` holds (true) or `timeoutMs` passed (false; null waits without limit).
   * Messages from the environment are delivered while waiting.
   */
  waitUntil(condition: () => boolean, timeoutMs: number | null, what: string): boolean {
    this.#transport.poll();
    if (condition()) return true;
    const deadline = timeoutMs === null ? null : performance.now() + timeoutMs;
    for (;;) {
      const left = deadline === null ? null : deadline - performance.now();
      if (left !== null && left <= 0) return false;
      this.#transport.block(left, what);
      this.#transport.poll();
      if (condition()) return true;
    }
  }
}
