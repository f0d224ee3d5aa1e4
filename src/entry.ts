/**
 * KVStoreEntry: what `KVStore.get` resolves to. Mirrors the Compute runtime: `body` is one lazily
 * created stream, the body can be consumed once, decoding is strict UTF-8, `metadata()` returns the
 * same Uint8Array every call (null when absent or empty). Not constructible by users.
 */
import { Messages } from "./messages.js";
import { decodeUtf8Strict } from "./utf8.js";
import { fixShape } from "./shape.js";
import { concatBytes } from "./bytes.js";
import { isBodyTaken, markBodyStream } from "./compute/bodies.js";

const INTERNAL = Symbol("edge-kv internal");

export interface KVStoreEntry {
  readonly body: ReadableStream<Uint8Array>;
  readonly bodyUsed: boolean;
  text(): Promise<string>;
  // Compute's json() resolves any JSON value; `any` keeps it assignable to fastly:kv-store's Promise<object>.
  json(): Promise<any>;
  arrayBuffer(): Promise<ArrayBuffer>;
  /**
   * The metadata bytes, or null when absent or empty. At run time this is a Uint8Array (the same
   * object on every call), exactly as on Compute; it is typed `ArrayBuffer` as in Fastly's own
   * types so app code type-checks the same against both. Wrap it: `new Uint8Array(entry.metadata()!)`.
   */
  metadata(): ArrayBuffer | null;
  metadataText(): string | null;
}

export interface KVStoreEntryConstructor {
  readonly prototype: KVStoreEntry;
}

class EntryImpl {
  #value: Uint8Array;
  #storedMetadata: Uint8Array | null;
  #metadata: Uint8Array<ArrayBuffer> | null | undefined = undefined;
  #body: ReadableStream<Uint8Array> | null = null;
  #bodyRead = false;
  #used = false;

  constructor(token?: unknown, value?: Uint8Array, metadata?: Uint8Array | null) {
    if (token !== INTERNAL) throw new Error(Messages.entryNotConstructible);
    this.#value = value!;
    this.#storedMetadata = metadata ?? null;
  }

  /** The runtime's receiver check: these members work only on real entries. */
  static #check(receiver: unknown, member: string): void {
    if (receiver === null || typeof receiver !== "object" || !(#value in receiver)) {
      throw new TypeError(Messages.wrongReceiver(member, "KVStoreEntry"));
    }
  }

  get body(): ReadableStream<Uint8Array> {
    EntryImpl.#check(this, "body");
    if (this.#body === null) {
      const value = this.#value;
      this.#body = new ReadableStream<Uint8Array>({
        type: "bytes",
        pull: (controller) => {
          this.#bodyRead = true;
          if (value.byteLength > 0) controller.enqueue(value.slice());
          controller.close();
        },
        cancel: () => {
          this.#bodyRead = true;
        },
      });
      // KVStore.put accepts this stream (it is an entry's body), as on Compute.
      markBodyStream(this.#body, () => this.#bodyRead);
    }
    return this.#body;
  }

  get bodyUsed(): boolean {
    EntryImpl.#check(this, "bodyUsed");
    return this.#used;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    EntryImpl.#check(this, "arrayBuffer");
    // Copying through a new Uint8Array yields a fresh ArrayBuffer of exactly the value (cheaper than buffer.slice).
    return this.#consume(toArrayBuffer);
  }

  json(): Promise<any> {
    EntryImpl.#check(this, "json");
    return this.#consume(parseJson);
  }

  text(): Promise<string> {
    EntryImpl.#check(this, "text");
    return this.#consume(decodeUtf8Strict);
  }

  metadata(): Uint8Array<ArrayBuffer> | null {
    EntryImpl.#check(this, "metadata");
    if (this.#metadata === undefined) {
      // Copied once, then the same object every call: mutating it must not change the store.
      const stored = this.#storedMetadata;
      this.#metadata = stored !== null && stored.byteLength > 0 ? (stored.slice() as Uint8Array<ArrayBuffer>) : null;
    }
    return this.#metadata;
  }

  metadataText(): string | null {
    EntryImpl.#check(this, "metadataText");
    const metadata = this.metadata();
    return metadata === null ? null : decodeUtf8Strict(metadata);
  }

  #consume<T>(convert: (bytes: Uint8Array) => T): Promise<T> {
    if (this.#used) return Promise.reject(new Error(Messages.bodyConsumed));
    this.#used = true;
    if (this.#body !== null) {
      // A store took the body (KVStore.put(key, entry.body)): the runtime finds its handle gone.
      if (isBodyTaken(this.#body)) return Promise.reject(new Error(Messages.hostInvalidHandle("read_from_handle_all")));
      if (this.#body.locked || this.#bodyRead) return Promise.reject(new TypeError(Messages.streamLocked));
      return readAll(this.#body).then(convert);
    }
    try {
      return Promise.resolve(convert(this.#value));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

// Module-level converters: no closure is allocated per call.
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return new Uint8Array(bytes).buffer as ArrayBuffer;
}

function parseJson(bytes: Uint8Array): unknown {
  return JSON.parse(decodeUtf8Strict(bytes));
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return chunks.length === 0 ? new Uint8Array(0) : concatBytes(chunks);
}

/** Creates an entry for a stored value (internal; users cannot construct entries). */
export function createEntry(value: Uint8Array, metadata: Uint8Array | null): KVStoreEntry {
  return new EntryImpl(INTERNAL, value, metadata) as unknown as KVStoreEntry;
}

fixShape(EntryImpl, {
  name: "KVStoreEntry",
  length: 0,
  members: ["body", "bodyUsed", "arrayBuffer", "json", "text", "metadata", "metadataText"],
});

export const KVStoreEntry = EntryImpl as unknown as KVStoreEntryConstructor;
