/**
 * The environment's side of one downstream request: answers the sandbox's messages (KV on the
 * registry, config and secret stores, backends), collects its log output and builds the Response
 * the caller gets — whole, or streamed as the guest writes it.
 */
import { isPromise } from "../drivers/driver.js";
import type { KVRegistry } from "../registry.js";
import { STATUS_NAMES, Status } from "./abi.js";
import type { BackendClient } from "./backend-environment.js";
import type { ComputeStores } from "./compute-stores.js";
import { kvOpen, kvOperation } from "./kv-environment.js";
import type { DownstreamResponseHead, ToHost, ToSandbox } from "./protocol.js";

/** One line of guest output: stdout/stderr text or a log endpoint's message. */
export interface WasmLogEntry {
  /** The request's id as the guest sees it (event.client.requestId). */
  requestId: string;
  /** "stdout", "stderr", or the log endpoint's name (`new Logger(name)`). */
  source: string;
  message: string;
}

export interface HostEnvironment {
  registry(): KVRegistry;
  stores: ComputeStores;
  backends: BackendClient;
  log(entry: WasmLogEntry): void;
  /** A host function the guest called that edge-kv does not implement (reported once per app). */
  unsupported(name: string): void;
}

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const encoder = new TextEncoder();

export class RequestSession {
  readonly response: Promise<Response>;
  #resolve!: (response: Response) => void;
  #env: HostEnvironment;
  #reply: (message: ToSandbox) => void = () => undefined;
  #requestId: string;
  #stream: ReadableStreamDefaultController<Uint8Array> | null = null;
  #responded = false;
  #partial: Record<1 | 2, string> = { 1: "", 2: "" };
  #stderr: string[] = [];

  constructor(env: HostEnvironment, requestId: string) {
    this.#env = env;
    this.#requestId = requestId;
    this.response = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Where answers for the sandbox go. */
  connect(reply: (message: ToSandbox) => void): void {
    this.#reply = reply;
  }

  handle(message: ToHost): void {
    switch (message.t) {
      case "kv-open":
        return this.#settle(message.id, kvOpen(this.#env.registry(), message.store));
      case "kv": {
        const answer = kvOperation(this.#env.registry(), message.store, message.operation, this.#requestId, (error) =>
          this.#log("stderr", `edge-kv/wasm: KV ${message.operation.op} on store '${message.store}' failed: ${error instanceof Error ? error.message : String(error)}`),
        );
        if (isPromise(answer)) answer.then((ready) => this.#settle(message.id, ready));
        else this.#settle(message.id, answer);
        return;
      }
      case "config-open":
        return this.#settle(message.id, this.#env.stores.config(message.store) !== undefined);
      case "config-get": {
        const value = this.#env.stores.config(message.store)?.get(message.key) ?? null;
        return this.#settle(message.id, value === null ? null : encoder.encode(value));
      }
      case "secret-open":
        return this.#settle(message.id, this.#env.stores.secret(message.store) !== undefined);
      case "secret-get":
        return this.#settle(message.id, this.#env.stores.secret(message.store)?.get(message.key) ?? null);
      case "send":
        this.#env.backends
          .send(message.request, {
            chunk: (bodyId, bytes) => this.#reply({ t: "body-chunk", bodyId, bytes }),
            end: (bodyId, error) => this.#reply({ t: "body-end", bodyId, error }),
          })
          .then((answer) => {
            if (!answer.ok) this.#log("stderr", `edge-kv/wasm: request to backend '${message.request.backend}' (${message.request.url}) failed: ${answer.message}`);
            this.#settle(message.id, answer);
          });
        return;
      case "send-chunk":
        return this.#env.backends.write(message.streamId, message.bytes);
      case "send-end":
        return this.#env.backends.end(message.streamId, message.error);
      case "log":
        return this.#log(message.endpoint, message.message);
      case "stdio":
        return this.#stdio(message.fd, message.text);
      case "unsupported":
        return this.#env.unsupported(message.name);
      case "respond":
        return this.#respond(message.head);
      case "respond-chunk":
        try {
          this.#stream?.enqueue(message.bytes);
        } catch {
          this.#stream = null; // the reader went away (a client that disconnected): drop the rest
        }
        return;
      case "respond-end":
        try {
          if (message.error === null) this.#stream?.close();
          else this.#stream?.error(new TypeError(`edge-kv/wasm: the response body is incomplete: ${message.error}`));
        } catch {
          // already cancelled by its reader
        }
        this.#stream = null;
        return;
    }
  }

  /** The guest's instance is gone: flush its partial output lines. */
  finish(): void {
    for (const fd of [1, 2] as const) {
      if (this.#partial[fd]) this.#log(fd === 1 ? "stdout" : "stderr", this.#partial[fd]);
      this.#partial[fd] = "";
    }
    if (!this.#responded) this.#respond({ status: 500, headers: [], body: new Uint8Array(0) });
  }

  #settle(id: number, value: unknown): void {
    this.#reply({ t: "settle", id, value });
  }

  #log(source: string, message: string): void {
    if (source === "stderr") this.#stderr.push(message);
    this.#env.log({ requestId: this.#requestId, source, message });
  }

  /**
   * The failures the runtime reported on stderr (js-compute-runtime handler.cpp / fetch-event.cpp):
   * a listener that threw (with the engine's report of the exception) and a rejected respondWith
   * promise (the runtime prints no detail unless the app enabled debug logging).
   */
  runtimeErrors(): { kind: "listener-threw" | "response-rejected"; message: string }[] {
    const found: { kind: "listener-threw" | "response-rejected"; message: string }[] = [];
    this.#stderr.forEach((line, i) => {
      if (line === "Exception while dispatching FetchEvent") {
        const report = this.#stderr.slice(i + 1).find((next) => next.trim() !== "") ?? "";
        found.push({ kind: "listener-threw", message: report ? `${line}: ${report}` : line });
      } else if (line.startsWith("Error while running request handler")) {
        found.push({ kind: "response-rejected", message: line });
      }
    });
    return found;
  }

  #stdio(fd: 1 | 2, text: string): void {
    const lines = (this.#partial[fd] + text).split("\n");
    this.#partial[fd] = lines.pop()!;
    for (const line of lines) this.#log(fd === 1 ? "stdout" : "stderr", line);
  }

  #respond(head: DownstreamResponseHead): void {
    if (this.#responded) return;
    this.#responded = true;
    const headers = new Headers();
    for (const [name, value] of head.headers) headers.append(name, value);
    let body: BodyInit | null = null;
    if (head.body !== null) body = head.body.byteLength > 0 ? (head.body as Uint8Array<ArrayBuffer>) : null;
    else body = new ReadableStream<Uint8Array>({ start: (controller) => void (this.#stream = controller) });
    if (NULL_BODY_STATUS.has(head.status)) body = null;
    let response: Response;
    try {
      response = new Response(body, { status: head.status, headers });
    } catch (error) {
      this.#log("stderr", `edge-kv/wasm: the guest's response cannot be represented (${error instanceof Error ? error.message : String(error)})`);
      response = new Response(null, { status: 502 });
    }
    this.#resolve(response);
  }
}

export function unsupportedMessage(name: string): string {
  return `edge-kv/wasm: the guest called ${name}, which edge-kv does not support; it answered ${STATUS_NAMES[Status.UNSUPPORTED]} (${Status.UNSUPPORTED})`;
}
