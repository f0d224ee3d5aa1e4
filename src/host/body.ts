/**
 * What kind of body a Response the app answered with has, as the runtime tells them apart
 * (shared/reference/compute-app-host.md §1.1): a body given as bytes or a string is handed to the host
 * at once; a body the app gives as a ReadableStream is *streamed* — the runtime keeps the event active
 * (so `waitUntil` still works and the request is not over) until the stream has been written out.
 *
 * No web API says which one a Response holds. Node's fetch (undici) keeps the value a body was made
 * from next to its stream; edge-kv reads that (checked once on a probe Response; if the shape is not
 * there — another runtime, another undici — every body counts as streamed, which is slower but keeps
 * the rule).
 */

export type BodyKind = "none" | "static" | "stream";

interface UndiciBody {
  stream: ReadableStream<Uint8Array>;
  source: unknown;
}

/** The symbol under which undici keeps a Response's state, null where there is none; undefined until probed. */
let stateKey: symbol | null | undefined;

function probe(): symbol | null {
  try {
    const response = new Response("edge-kv");
    for (const key of Object.getOwnPropertySymbols(response)) {
      const value = (response as unknown as Record<symbol, { body?: UndiciBody | null } | undefined>)[key];
      if (typeof value === "object" && value !== null && value.body?.source === "edge-kv" && value.body.stream instanceof ReadableStream) return key;
    }
  } catch {
    // no Response, or a strange one: no shortcut
  }
  return null;
}

/** undici's body record of `response` (null: no body), or undefined when it cannot be read. */
function undiciBody(response: Response): UndiciBody | null | undefined {
  stateKey ??= probe();
  if (stateKey === null) return undefined;
  const value = (response as unknown as Record<symbol, { body?: UndiciBody | null } | undefined>)[stateKey];
  if (typeof value !== "object" || value === null || !("body" in value)) return undefined;
  return value.body ?? null;
}

function isStaticSource(source: unknown): source is string | Uint8Array {
  return typeof source === "string" || source instanceof Uint8Array;
}

/** "none" (no body), "static" (made from bytes or a string) or "stream" (anything the runtime would stream). */
export function bodyKind(response: Response): BodyKind {
  const body = undiciBody(response);
  if (body === null) return "none";
  if (body !== undefined) return isStaticSource(body.source) ? "static" : "stream";
  return response.body === null ? "none" : "stream";
}

/**
 * The bytes (or string, to be sent as UTF-8) of a static body that has not been read, without reading
 * its stream; the stream is locked, as if it had been read, so the Response cannot be sent twice.
 * Undefined when the body is not static or was touched.
 */
export function takeStaticBody(response: Response): string | Uint8Array | undefined {
  const body = undiciBody(response);
  if (body == null || !isStaticSource(body.source) || body.stream.locked || response.bodyUsed) return undefined;
  body.stream.getReader();
  return body.source;
}

/** A streamed body is read ahead this far (bytes) before the host waits for its reader. */
export const RELAY_BUFFER_BYTES = 1 << 20;

/**
 * A copy of `response` whose body is read from the app's stream by the host — inside the request's
 * scope (`run`), so the app's stream callbacks run as part of its request — ahead of the caller's reads
 * (up to RELAY_BUFFER_BYTES), as the runtime writes a streamed body out. `done` settles when the app's
 * stream has ended (closed, failed, or cancelled by the reader). Undefined when the app's Response must
 * be given as it is (no body stream to take, or an opaque status no Response can be built with).
 */
export function relayBody(response: Response, run: <R>(fn: () => R) => R): { response: Response; done: Promise<void> } | undefined {
  // A Response cannot be built with the status of an opaque one (0): the app's own is given then.
  if (response.status < 200 || response.status > 599) return undefined;
  const source = response.body;
  if (source === null || source.locked) return undefined;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull: (controller) => {
        reader ??= source.getReader();
        return run(() => reader!.read()).then(
          (chunk) => {
            if (chunk.done) {
              controller.close();
              finish();
            } else controller.enqueue(chunk.value);
          },
          (error: unknown) => {
            controller.error(error);
            finish();
          },
        );
      },
      cancel: (reason) => {
        const cancelled = run(() => (reader ?? source).cancel(reason));
        return cancelled.finally(finish);
      },
    },
    { highWaterMark: RELAY_BUFFER_BYTES, size: (chunk) => (chunk instanceof Uint8Array ? chunk.byteLength : 1) },
  );
  const Constructor = response.constructor as typeof Response;
  return { response: new Constructor(stream, { status: response.status, statusText: response.statusText, headers: response.headers }), done };
}
