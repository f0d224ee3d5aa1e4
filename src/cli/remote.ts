/**
 * A small client for Fastly's KV REST API (api.fastly.com, or `edge-kv serve`, which speaks the same):
 * `Fastly-Key` auth, and polite retries — a 429 waits for Retry-After (or Fastly-RateLimit-Reset),
 * a spent Fastly-RateLimit-Remaining waits for the reset before the next request, and a dropped
 * connection or a 5xx backs off exponentially; only requests that are safe to repeat are repeated.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { EdgeKvError } from "../errors.js";
import { decodeUtf8Strict, isValidUtf8 } from "../utf8.js";

export const FASTLY_API_URL = "https://api.fastly.com";
const MAX_WAIT_MS = 5 * 60_000;

export interface RemoteOptions {
  apiUrl: string;
  token: string | undefined;
  /** Retries after a 429, 5xx or dropped connection. */
  retries: number;
  /** First backoff; doubled on each retry. */
  backoffMs: number;
  /** Told about each wait (the CLI prints it on stderr). */
  onWait?: (message: string) => void;
}

export interface RemoteItem {
  value: Uint8Array;
  metadata: string | undefined;
  generation: number;
}

/** A batch the API refused: Fastly's `errors` list (`index` counts the batch's lines from 0). */
export class BatchRefused extends EdgeKvError {
  constructor(
    message: string,
    readonly errors: { key: string; index: number; code: string; reason: string }[],
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class FastlyClient {
  readonly options: RemoteOptions;
  #pausedUntil = 0;

  constructor(options: RemoteOptions) {
    this.options = { ...options, apiUrl: options.apiUrl.replace(/\/+$/, "") };
  }

  /** One request with retries. `idempotent: false` repeats it only after a 429 (which Fastly did not act on). */
  async request(method: string, path: string, init: { body?: string | Uint8Array; headers?: Record<string, string>; idempotent?: boolean; ok?: number[] } = {}): Promise<Response> {
    const idempotent = init.idempotent ?? true;
    let lastProblem = "";
    for (let attempt = 0; ; attempt++) {
      const pause = this.#pausedUntil - Date.now();
      if (pause > 0) {
        this.options.onWait?.(`rate limit spent (Fastly-RateLimit-Remaining: 0); waiting ${seconds(pause)} for it to reset`);
        await sleep(Math.min(pause, MAX_WAIT_MS));
      }
      let response: Response | undefined;
      try {
        response = await send(`${this.options.apiUrl}${path}`, method, { ...(this.options.token !== undefined && { "fastly-key": this.options.token }), ...init.headers }, init.body);
      } catch (error) {
        lastProblem = `the connection failed (${(error as { code?: string }).code ?? (error as Error).message})`;
        if (!idempotent) throw new EdgeKvError(`${method} ${path}: ${lastProblem}; not retried, as the request may have been applied`);
      }
      if (response !== undefined) {
        this.#noteRateLimit(response);
        const retryable = response.status === 429 || (idempotent && response.status >= 500 && response.status !== 501);
        if (!retryable) {
          if (response.ok || init.ok?.includes(response.status)) return response;
          throw new EdgeKvError(`${method} ${path} answered ${response.status}: ${await describe(response)}`);
        }
        lastProblem = `${response.status} ${response.status === 429 ? "Too Many Requests" : await describe(response)}`;
        if (attempt >= this.options.retries) break;
        const wait = response.status === 429 ? this.#rateLimitWait(response, attempt) : this.#backoff(attempt);
        await response.body?.cancel();
        this.options.onWait?.(`${method} ${path}: ${lastProblem}; retrying in ${seconds(wait)} (retry ${attempt + 1} of ${this.options.retries})`);
        await sleep(wait);
        continue;
      }
      if (attempt >= this.options.retries) break;
      const wait = this.#backoff(attempt);
      this.options.onWait?.(`${method} ${path}: ${lastProblem}; retrying in ${seconds(wait)} (retry ${attempt + 1} of ${this.options.retries})`);
      await sleep(wait);
    }
    throw new EdgeKvError(`${method} ${path}: gave up after ${this.options.retries} retries; last: ${lastProblem}`);
  }

  #backoff(attempt: number): number {
    return Math.min(this.options.backoffMs * 2 ** attempt, MAX_WAIT_MS);
  }

  /** Retry-After (seconds or a date), else Fastly-RateLimit-Reset (epoch seconds), else the backoff. */
  #rateLimitWait(response: Response, attempt: number): number {
    const retryAfter = response.headers.get("retry-after");
    if (retryAfter !== null) {
      const wait = /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - Date.now();
      if (Number.isFinite(wait)) return Math.min(Math.max(wait, 0), MAX_WAIT_MS);
    }
    const reset = Number(response.headers.get("fastly-ratelimit-reset"));
    if (reset > 0) return Math.min(Math.max(reset * 1000 - Date.now(), 0), MAX_WAIT_MS);
    return this.#backoff(attempt);
  }

  #noteRateLimit(response: Response): void {
    const remaining = response.headers.get("fastly-ratelimit-remaining");
    const reset = Number(response.headers.get("fastly-ratelimit-reset"));
    if (response.status !== 429 && remaining !== null && Number(remaining) <= 0 && reset > 0) this.#pausedUntil = reset * 1000;
  }

  async json<T>(path: string): Promise<T> {
    return (await (await this.request("GET", path)).json()) as T;
  }

  async storeName(storeId: string): Promise<string> {
    return (await this.json<{ name: string }>(`/resources/stores/kv/${encodeURIComponent(storeId)}`)).name;
  }

  /** The id of the store named `name`, or null. */
  async storeIdByName(name: string): Promise<string | null> {
    const page = await this.json<{ data: { id: string; name: string }[] }>(`/resources/stores/kv?name=${encodeURIComponent(name)}`);
    return page.data.find((store) => store.name === name)?.id ?? null;
  }

  async createStore(name: string): Promise<string> {
    const response = await this.request("POST", "/resources/stores/kv", { body: JSON.stringify({ name }), headers: { "content-type": "application/json" }, idempotent: false });
    return ((await response.json()) as { id: string }).id;
  }

  async listKeys(storeId: string, options: { prefix?: string; cursor?: string; limit?: number }): Promise<{ keys: string[]; cursor: string | undefined }> {
    const query = new URLSearchParams({ limit: String(options.limit ?? 1000) });
    if (options.prefix) query.set("prefix", options.prefix);
    if (options.cursor) query.set("cursor", options.cursor);
    const page = await this.json<{ data: string[]; meta: { next_cursor?: string } }>(`/resources/stores/kv/${encodeURIComponent(storeId)}/keys?${query}`);
    return { keys: page.data, cursor: page.meta.next_cursor || undefined };
  }

  /** The item, or null when the key does not exist. */
  async getItem(storeId: string, key: string): Promise<RemoteItem | null> {
    const response = await this.request("GET", itemPath(storeId, key), { ok: [404] });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    const value = new Uint8Array(await response.arrayBuffer());
    const header = response.headers.get("metadata");
    let metadata: string | undefined;
    if (header !== null && header !== "") {
      // Header bytes arrive as latin1 characters; metadata is UTF-8 (edge-kv sends unsafe bytes base64).
      const bytes = response.headers.get("metadata-encoding") === "base64" ? Buffer.from(header, "base64") : Buffer.from(header, "latin1");
      // Strict, and a leading U+FEFF kept: metadata arrives exactly or not at all.
      if (!isValidUtf8(bytes)) throw new EdgeKvError(`the metadata of key ${JSON.stringify(key)} is not UTF-8 text, which the batch format cannot carry`);
      metadata = decodeUtf8Strict(bytes);
    }
    return { value, metadata, generation: Number(response.headers.get("generation") ?? 0) };
  }

  async putItem(storeId: string, key: string, value: Uint8Array, options: { metadata?: string; ttl?: number; mode?: string; ifGenerationMatch?: number }): Promise<void> {
    const query = options.mode && options.mode !== "overwrite" ? `?${options.mode}=true` : "";
    const headers: Record<string, string> = { "content-type": "application/octet-stream" };
    if (options.metadata !== undefined) headers.metadata = Buffer.from(options.metadata, "utf8").toString("latin1");
    if (options.ttl !== undefined) headers.time_to_live_sec = String(options.ttl);
    if (options.ifGenerationMatch !== undefined) headers["if-generation-match"] = String(options.ifGenerationMatch);
    const idempotent = (options.mode ?? "overwrite") === "overwrite" && options.ifGenerationMatch === undefined;
    await this.request("PUT", `${itemPath(storeId, key)}${query}`, { body: value, headers, idempotent });
  }

  /** Resolves false when the key did not exist (404). */
  async deleteItem(storeId: string, key: string, options: { ifGenerationMatch?: number } = {}): Promise<boolean> {
    const headers: Record<string, string> = options.ifGenerationMatch === undefined ? {} : { "if-generation-match": String(options.ifGenerationMatch) };
    const response = await this.request("DELETE", itemPath(storeId, key), { headers, ok: [404], idempotent: options.ifGenerationMatch === undefined });
    await response.body?.cancel();
    return response.status !== 404;
  }

  /** Writes NDJSON lines through the batch endpoint (all or nothing). Throws BatchRefused for bad lines. */
  async batch(storeId: string, lines: string[]): Promise<void> {
    const path = `/resources/stores/kv/${encodeURIComponent(storeId)}/batch`;
    const response = await this.request("PUT", path, { body: lines.join("\n"), headers: { "content-type": "application/x-ndjson" }, ok: [400] });
    const body = (await response.json().catch(() => ({}))) as { title?: string; errors?: { key: string; index: number; code: string; reason: string }[] };
    if (response.status === 400) throw new BatchRefused(`the batch was refused: ${body.title ?? "400"}`, body.errors ?? []);
    if (body.errors && body.errors.length > 0) throw new BatchRefused(`the batch was refused: ${body.title}`, body.errors);
  }
}

// Keep-alive connections: a pull makes one request per key (fetch costs about twice as much per request).
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

/** One HTTP(S) request; the whole answer as a fetch Response. Rejects on a connection failure. */
function send(url: string, method: string, headers: Record<string, string>, body: string | Uint8Array | undefined): Promise<Response> {
  const secure = url.startsWith("https:");
  return new Promise((resolve, reject) => {
    const request = (secure ? httpsRequest : httpRequest)(url, { method, headers, agent: secure ? agents.https : agents.http }, (answer: IncomingMessage) => {
      const chunks: Buffer[] = [];
      answer.on("data", (chunk: Buffer) => chunks.push(chunk));
      answer.once("error", reject);
      answer.once("aborted", () => reject(Object.assign(new Error("the connection closed mid-answer"), { code: "ECONNRESET" })));
      answer.once("end", () => {
        const status = answer.statusCode ?? 500;
        const responseHeaders = new Headers();
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value === undefined) continue;
          for (const each of Array.isArray(value) ? value : [value]) responseHeaders.append(name, each);
        }
        const bytes = Buffer.concat(chunks);
        const empty = status === 204 || status === 304 || method === "HEAD";
        resolve(new Response(empty ? null : bytes, { status, headers: responseHeaders }));
      });
    });
    request.once("error", reject);
    request.end(body);
  });
}

function itemPath(storeId: string, key: string): string {
  return `/resources/stores/kv/${encodeURIComponent(storeId)}/keys/${encodeURIComponent(key)}`;
}

async function describe(response: Response): Promise<string> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as { detail?: string; msg?: string; error?: string };
    return body.detail ?? body.error ?? body.msg ?? text;
  } catch {
    return text === "" ? response.statusText || "no details" : text.slice(0, 300);
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

