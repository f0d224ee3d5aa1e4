/**
 * Which ReadableStreams `KVStore.put` accepts, as on Compute (compute-app-host.md §5): the body stream of
 * a Request, a Response or a KVStoreEntry is handed to the store; a stream the app builds itself
 * (`new ReadableStream`, a TransformStream's readable, `pipeThrough`) is refused with "Content-provided
 * streams are not yet supported for streaming into KVStore"; a locked or disturbed one with its message.
 *
 * No web API tells a platform body stream from an app-made one, so edge-kv marks the body streams it
 * sees being handed out:
 * - KVStoreEntry.body: edge-kv makes it, and marks it.
 * - Request.prototype.body / Response.prototype.body: while the Compute environment is installed
 *   (installGlobals(): the Vitest plugin, edge-kv/register and the app host do it by default), their
 *   getters are wrapped to mark each stream they return. Every other stream is then app-made.
 * - Without that (edge-kv imported as a library, globals off), a byte stream (one that gives a BYOB
 *   reader: Node/undici, Chromium and Firefox body streams) counts as a body and any other stream as
 *   app-made. That guess refuses happy-dom's bodies (default streams) and accepts an app's own
 *   `type: "bytes"` streams.
 * Known gap, everywhere: `new Response(appStream).body` is the app's stream itself, which the wrapped
 * getter marks, so it is accepted (Compute refuses it); so are Blob- and FormData-bodied responses.
 *
 * The marks live on globalThis under registered symbols, so every copy of edge-kv shares them.
 */

export type StreamKind = "body" | "content" | "locked";

interface BodyMarks {
  /** stream → "has this body been read or cancelled?" for streams handed out as bodies. */
  owners: WeakMap<object, () => boolean>;
  /** Body streams a store has taken (KVStore.put): on Compute their body handle is gone. */
  taken?: WeakSet<object>;
  /** Installs of the wrapped getters still in force (0: not tracking). */
  tracking: number;
  /** The getters replaced, to put back. */
  originals: Map<object, PropertyDescriptor>;
}

const MARKS = Symbol.for("edge-kv.body-streams");
const WRAPPED = Symbol.for("edge-kv.body-getter");

function marks(): BodyMarks {
  const holder = globalThis as { [MARKS]?: BodyMarks };
  return (holder[MARKS] ??= { owners: new WeakMap(), tracking: 0, originals: new Map() });
}

/** Records `stream` as a body; `disturbed` tells whether it has been read or cancelled. */
export function markBodyStream(stream: object, disturbed: () => boolean): void {
  marks().owners.set(stream, disturbed);
}

/**
 * Records that a store took `stream`'s body (KVStore.put of a body stream hands the handle over, and
 * the store consumes it): reading the body afterwards, or putting it again, fails with the runtime's
 * invalid-handle Error.
 */
export function markBodyTaken(stream: object): void {
  (marks().taken ??= new WeakSet()).add(stream);
}

/** Whether a store has taken `stream`'s body (see markBodyTaken). */
export function isBodyTaken(stream: object): boolean {
  return marks().taken?.has(stream) === true;
}

const lockedOf = typeof ReadableStream === "function" ? Object.getOwnPropertyDescriptor(ReadableStream.prototype, "locked")?.get : undefined;

/** Node's stream.isDisturbed, where the runtime exposes its builtins without an import (Node ≥ 20.16). */
const isDisturbed: ((stream: unknown) => boolean) | undefined = (() => {
  const get = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof get !== "function") return undefined;
  try {
    const stream = get("node:stream") as { isDisturbed?: (stream: unknown) => boolean } | undefined;
    return typeof stream?.isDisturbed === "function" ? stream.isDisturbed : undefined;
  } catch {
    return undefined;
  }
})();

/** Whether `stream` is a readable byte stream: it gives a BYOB reader (which is released at once). */
function isByteStream(stream: ReadableStream): boolean {
  try {
    (stream.getReader as (options: { mode: "byob" }) => { releaseLock(): void })({ mode: "byob" }).releaseLock();
    return true;
  } catch {
    return false;
  }
}

/** How `KVStore.put` treats `stream` (a real ReadableStream). */
export function classifyStream(stream: ReadableStream): StreamKind {
  if (lockedOf ? lockedOf.call(stream) : stream.locked) return "locked";
  const { owners, tracking } = marks();
  const disturbed = owners.get(stream);
  if (disturbed !== undefined) return disturbed() || isDisturbed?.(stream) === true ? "locked" : "body";
  if (isDisturbed?.(stream) === true) return "locked";
  if (tracking > 0) return "content";
  return isByteStream(stream) ? "body" : "content";
}

/**
 * Wraps the `body` getters of `Request` and `Response` (those on globalThis now) so the streams they
 * return are known as bodies. Nested calls count; the returned function undoes one call.
 */
export function trackBodyStreams(): () => void {
  const state = marks();
  state.tracking += 1;
  for (const ctor of [(globalThis as { Request?: unknown }).Request, (globalThis as { Response?: unknown }).Response]) {
    if (typeof ctor !== "function") continue;
    // The getter may sit on a parent prototype (happy-dom's per-window subclasses).
    let proto: object | null = ctor.prototype as object;
    while (proto !== null && !Object.hasOwn(proto, "body")) proto = Object.getPrototypeOf(proto) as object | null;
    if (proto === null) continue;
    const descriptor = Object.getOwnPropertyDescriptor(proto, "body");
    const original = descriptor?.get;
    if (!descriptor || !original || (original as { [WRAPPED]?: boolean })[WRAPPED]) continue;
    const wrapper = {
      get body() {
        const stream = original.call(this) as object | null;
        if (stream !== null && typeof stream === "object") {
          const owner = this as { bodyUsed?: boolean };
          markBodyStream(stream, () => owner.bodyUsed === true);
        }
        return stream;
      },
    };
    const get = Object.getOwnPropertyDescriptor(wrapper, "body")!.get!;
    Object.defineProperty(get, WRAPPED, { value: true });
    state.originals.set(proto, descriptor);
    Object.defineProperty(proto, "body", { ...descriptor, get });
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    state.tracking -= 1;
    if (state.tracking > 0) return;
    for (const [proto, descriptor] of state.originals) Object.defineProperty(proto, "body", descriptor);
    state.originals.clear();
  };
}
