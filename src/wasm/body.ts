/**
 * Bodies as the host holds them. A `Body` is a queue of byte chunks and appended bodies, read from the
 * front; bodies that arrive from the network (a backend's response) are fed chunk by chunk and are
 * not `complete` until their end arrives, so a read may have to wait. A `StreamingBody` is the write
 * end of a body already handed to a consumer (a streamed downstream response or backend request).
 */

export type ReadResult = Uint8Array | "wait";

export class Body {
  #parts: (Uint8Array | Body)[] = [];
  /** No more bytes will be fed from outside (always true for bodies the guest builds). */
  complete: boolean;
  /** A failure of the producer (a backend connection that broke): reads then fail. */
  error: string | null = null;
  /** Length announced by the producer (content-length), when known before the body is complete. */
  announcedLength: number | null = null;

  constructor(chunks: Uint8Array[] = [], complete = true) {
    for (const chunk of chunks) if (chunk.byteLength > 0) this.#parts.push(chunk);
    this.complete = complete;
  }

  pushBack(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.#parts.push(chunk);
  }

  pushFront(chunk: Uint8Array): void {
    if (chunk.byteLength > 0) this.#parts.unshift(chunk);
  }

  /** Appends `other` lazily: its bytes are read through this body once everything before it is read. */
  append(other: Body): void {
    this.#parts.push(other);
  }

  /** Up to `max` bytes from the front; an empty array at the end; "wait" when bytes may still come. */
  read(max: number): ReadResult {
    while (this.#parts.length > 0) {
      const first = this.#parts[0]!;
      if (first instanceof Body) {
        const got = first.read(max);
        if (got === "wait" || got.byteLength > 0) return got;
        this.#parts.shift();
        continue;
      }
      if (first.byteLength <= max) {
        this.#parts.shift();
        return first;
      }
      this.#parts[0] = first.subarray(max);
      return first.subarray(0, max);
    }
    if (this.error !== null) return new Uint8Array(0);
    return this.complete ? new Uint8Array(0) : "wait";
  }

  /** A read would not wait (async_io readiness of a body). */
  ready(): boolean {
    for (const part of this.#parts) {
      if (!(part instanceof Body)) return true;
      if (part.ready()) return true;
      return false;
    }
    return this.complete || this.error !== null;
  }

  /** Total length when every byte is known (Viceroy's `Body::len`), else the announced length, else null. */
  knownLength(): number | null {
    if (!this.complete) return this.announcedLength;
    let total = 0;
    for (const part of this.#parts) {
      if (part instanceof Body) {
        const inner = part.knownLength();
        if (inner === null) return null;
        total += inner;
      } else total += part.byteLength;
    }
    return total;
  }

  /** No more bytes will come: this body and every body appended to it are complete. */
  isComplete(): boolean {
    if (!this.complete && this.error === null) return false;
    for (const part of this.#parts) if (part instanceof Body && !part.isComplete()) return false;
    return true;
  }

  /** Every byte, when the body is complete; null (and nothing read) while bytes may still come. */
  drain(): Uint8Array[] | null {
    if (!this.isComplete()) return null;
    const chunks: Uint8Array[] = [];
    for (;;) {
      const got = this.read(Number.MAX_SAFE_INTEGER);
      if (got === "wait") return null;
      if (got.byteLength === 0) return chunks;
      chunks.push(got);
    }
  }
}

/** Where a streaming body's bytes go. */
export interface BodySink {
  write(chunk: Uint8Array): void;
  /** The guest closed the body: the transfer is complete. */
  close(): void;
  /** The guest abandoned the body (or never closed it): the receiver sees an incomplete body. */
  abort(reason: string): void;
}

export class StreamingBody {
  #sink: BodySink;
  #done = false;

  constructor(sink: BodySink) {
    this.#sink = sink;
  }

  write(chunk: Uint8Array): void {
    if (!this.#done && chunk.byteLength > 0) this.#sink.write(chunk);
  }

  close(): void {
    if (this.#done) return;
    this.#done = true;
    this.#sink.close();
  }

  abort(reason: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#sink.abort(reason);
  }

  get done(): boolean {
    return this.#done;
  }
}
