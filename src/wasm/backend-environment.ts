/**
 * The environment side of backend requests. Sent with `node:http`/`node:https` rather than fetch:
 * the backend must get exactly the guest's headers and the Host header Viceroy computes (fetch drops
 * `host` and adds user-agent, accept-language, sec-fetch-mode and accept-encoding), and a gzip
 * response must stay compressed unless the guest asked for decompression (fetch always decompresses).
 */
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage, type ClientRequest } from "node:http";
import { request as httpsRequest, Agent as HttpsAgent } from "node:https";
import { createGunzip } from "node:zlib";
import { SendErrorTag, Status } from "./abi.js";
import type { OutgoingRequest, SendAnswer } from "./protocol.js";

export interface BackendBodySink {
  chunk(bodyId: number, bytes: Uint8Array): void;
  end(bodyId: number, error: string | null): void;
}

const ERROR_DETAILS: Record<string, number> = {
  ECONNREFUSED: SendErrorTag.CONNECTION_REFUSED,
  ECONNRESET: SendErrorTag.CONNECTION_TERMINATED,
  EPIPE: SendErrorTag.CONNECTION_TERMINATED,
  ETIMEDOUT: SendErrorTag.CONNECTION_TIMEOUT,
  ENOTFOUND: SendErrorTag.DNS_ERROR,
  EAI_AGAIN: SendErrorTag.DNS_ERROR,
  HPE_INVALID_CONSTANT: SendErrorTag.HTTP_INCOMPLETE_RESPONSE,
};

export class BackendClient {
  #http = new HttpAgent({ keepAlive: true });
  #https = new HttpsAgent({ keepAlive: true });
  #streams = new Map<number, ClientRequest>();
  #nextBody = 1;

  /** Starts `request`; the answer settles on the response head, the body then flows to `sink`. */
  send(request: OutgoingRequest, sink: BackendBodySink): Promise<SendAnswer> {
    return new Promise((resolve) => {
      const url = new URL(request.url);
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of request.headers) {
        const previous = headers[name];
        headers[name] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
      }
      const https = url.protocol === "https:";
      let req: ClientRequest;
      try {
        req = (https ? httpsRequest : httpRequest)(url, { method: request.method, headers, agent: https ? this.#https : this.#http });
      } catch (error) {
        resolve({ ok: false, status: Status.ERROR, detail: SendErrorTag.INTERNAL_ERROR, message: String(error) });
        return;
      }
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (request.streamId !== null) this.#streams.delete(request.streamId);
        resolve({ ok: false, status: Status.ERROR, detail: ERROR_DETAILS[error.code ?? ""] ?? SendErrorTag.INTERNAL_ERROR, message: error.message });
      });
      req.on("response", (res: IncomingMessage) => {
        const bodyId = this.#nextBody++;
        const answerHeaders: [string, string][] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) answerHeaders.push([res.rawHeaders[i]!.toLowerCase(), res.rawHeaders[i + 1]!]);
        let source: NodeJS.ReadableStream = res;
        let contentLength = res.headers["content-length"] === undefined ? null : Number(res.headers["content-length"]);
        if (request.autoDecompress && /^(x-)?gzip$/i.test(String(res.headers["content-encoding"] ?? ""))) {
          source = res.pipe(createGunzip());
          contentLength = null;
          for (let i = answerHeaders.length - 1; i >= 0; i--) {
            if (answerHeaders[i]![0] === "content-encoding" || answerHeaders[i]![0] === "content-length") answerHeaders.splice(i, 1);
          }
        }
        resolve({ ok: true, status: res.statusCode ?? 502, headers: answerHeaders, bodyId, contentLength: Number.isSafeInteger(contentLength) ? contentLength : null });
        source.on("data", (chunk: Buffer) => sink.chunk(bodyId, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)));
        source.on("end", () => sink.end(bodyId, null));
        source.on("error", (error: Error) => sink.end(bodyId, error.message));
        res.on("aborted", () => sink.end(bodyId, "the backend closed the connection before the body was complete"));
      });
      if (request.streamId !== null) this.#streams.set(request.streamId, req);
      else req.end(request.body ?? undefined);
    });
  }

  /** A chunk of a streamed request body. */
  write(streamId: number, bytes: Uint8Array): void {
    this.#streams.get(streamId)?.write(bytes);
  }

  end(streamId: number, error: string | null): void {
    const req = this.#streams.get(streamId);
    this.#streams.delete(streamId);
    if (!req) return;
    if (error === null) req.end();
    else req.destroy(new Error(error));
  }

  close(): void {
    for (const req of this.#streams.values()) req.destroy();
    this.#streams.clear();
    this.#http.destroy();
    this.#https.destroy();
  }
}
