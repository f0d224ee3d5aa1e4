/**
 * KVStore.put of a ReadableStream, as on Compute (compute-app-host.md §5): body streams of a Request,
 * Response or KVStoreEntry are stored; streams the app builds are refused with "Content-provided streams
 * are not yet supported for streaming into KVStore"; locked or disturbed ones with their message.
 * Runs under Node (undici) and happy-dom (both projects include test/compute).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KVStore, resetRegistry, trackBodyStreams } from "edge-kv";
import { installGlobals, uninstallGlobals } from "edge-kv/globals";
import { expectRejection } from "../core/helpers.js";

const CONTENT = "Content-provided streams are not yet supported for streaming into KVStore";
const LOCKED = "Can't use a ReadableStream that's locked or has ever been read from or canceled";
const isHappyDom = typeof (globalThis as { happyDOM?: unknown }).happyDOM !== "undefined" || typeof (globalThis as { window?: { happyDOM?: unknown } }).window?.happyDOM !== "undefined";
const bytes = (text: string) => new TextEncoder().encode(text);
const appStream = (text = "app") =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes(text));
      controller.close();
    },
  });

let store: KVStore;
const stored = async (key: string) => (await store.get(key))?.text() ?? null;
beforeEach(() => {
  resetRegistry().defineStore("s");
  store = new KVStore("s");
});

describe("with the Compute environment installed (installGlobals: the plugin, register and the host do it)", () => {
  beforeEach(() => {
    installGlobals();
  });
  afterEach(() => {
    uninstallGlobals();
  });

  it("stores the body of a Response made from a string, bytes or URLSearchParams", async () => {
    await store.put("a", new Response("from a string").body!);
    await store.put("b", new Response(bytes("from bytes")).body!);
    await store.put("c", new Response(new URLSearchParams({ q: "1" })).body!);
    expect([await stored("a"), await stored("b"), await stored("c")]).toEqual(["from a string", "from bytes", "q=1"]);
  });

  it("stores the body of a POST Request", async () => {
    await store.put("r", new Request("http://localhost/", { method: "POST", body: "posted" }).body!);
    expect(await stored("r")).toBe("posted");
  });

  it("stores the body of a fetch() response", async () => {
    await store.put("f", (await fetch("data:text/plain,fetched")).body!);
    expect(await stored("f")).toBe("fetched");
  });

  it("stores the body of a KVStoreEntry (copying a value from one key to another)", async () => {
    await store.put("from", "entry value");
    await store.put("to", (await store.get("from"))!.body);
    expect(await stored("to")).toBe("entry value");
  });

  it("refuses app-made streams: new ReadableStream (empty or not, default or bytes), a TransformStream's readable, pipeThrough", async () => {
    await expectRejection(() => store.put("x", appStream()), TypeError, CONTENT);
    await expectRejection(() => store.put("x", new ReadableStream()), TypeError, CONTENT);
    await expectRejection(() => store.put("x", new ReadableStream({ type: "bytes" })), TypeError, CONTENT);
    await expectRejection(() => store.put("x", new TransformStream().readable), TypeError, CONTENT);
    await expectRejection(() => store.put("x", new Response("piped").body!.pipeThrough(new TransformStream())), TypeError, CONTENT);
    expect(await store.get("x")).toBeNull();
  });

  it("refuses a locked body, and a body that has been read from, with the locked-stream TypeError", async () => {
    const locked = new Response("locked").body!;
    locked.getReader();
    await expectRejection(() => store.put("x", locked), TypeError, LOCKED);
    const response = new Response("read");
    const reader = response.body!.getReader();
    await reader.read();
    reader.releaseLock();
    await expectRejection(() => store.put("x", response.body!), TypeError, LOCKED);
    await store.put("e", "entry");
    const entry = await store.get("e");
    const entryReader = entry!.body.getReader();
    await entryReader.read();
    entryReader.releaseLock();
    await expectRejection(() => store.put("y", entry!.body), TypeError, LOCKED);
    expect(await store.get("y")).toBeNull();
  });

  it("ignores gen for a body stream, as Compute does (the stream goes to the store without the check)", async () => {
    await store.put("g", "v1");
    await store.put("g", new Response("v2").body!, { gen: 999 });
    expect(await stored("g")).toBe("v2");
    await expectRejection(() => store.put("g", "v3", { gen: 999 }), TypeError, "KVStore insert: Precondition failed.");
  });

  it("known gap: new Response(appStream).body is the app's own stream, and is stored (Compute refuses it)", async () => {
    await store.put("gap", new Response(appStream("through a response")).body!);
    expect(await stored("gap")).toBe("through a response");
  });

  it("uninstallGlobals() puts the original body getters back", () => {
    const wrapped = Object.getOwnPropertyDescriptor(Response.prototype, "body")?.get ?? findGetter(Response.prototype);
    uninstallGlobals();
    expect(findGetter(Response.prototype)).not.toBe(wrapped);
    installGlobals();
  });
});

function findGetter(proto: object | null): unknown {
  for (; proto !== null; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, "body");
    if (descriptor) return descriptor.get;
  }
  return undefined;
}

describe("without it (edge-kv as a plain library): a byte stream counts as a body", () => {
  it("refuses a default stream the app made, and a TransformStream's readable", async () => {
    await expectRejection(() => store.put("x", appStream()), TypeError, CONTENT);
    await expectRejection(() => store.put("x", new TransformStream().readable), TypeError, CONTENT);
  });

  it("still stores an entry's body (edge-kv marks it)", async () => {
    await store.put("from", "entry value");
    await store.put("to", (await store.get("from"))!.body);
    expect(await stored("to")).toBe("entry value");
  });

  it("a Response body: a byte stream in Node (undici), stored; a default stream in happy-dom, refused (install the globals or call trackBodyStreams() there)", async () => {
    if (isHappyDom) {
      await expectRejection(() => store.put("a", new Response("happy-dom body").body!), TypeError, CONTENT);
      expect(await store.get("a")).toBeNull();
    } else {
      await store.put("a", new Response("undici body").body!);
      expect(await stored("a")).toBe("undici body");
    }
  });

  it("documented gap: an app's own type: 'bytes' stream is taken for a body", async () => {
    await store.put(
      "b",
      new ReadableStream({
        type: "bytes",
        start(controller) {
          controller.enqueue(bytes("app bytes"));
          controller.close();
        },
      }),
    );
    expect(await stored("b")).toBe("app bytes");
  });

  it("trackBodyStreams() alone is enough for a library user: Response bodies are stored, app streams refused", async () => {
    const untrack = trackBodyStreams();
    try {
      await store.put("a", new Response("tracked").body!);
      await expectRejection(() => store.put("b", new ReadableStream({ type: "bytes" })), TypeError, CONTENT);
    } finally {
      untrack();
    }
    expect(await stored("a")).toBe("tracked");
  });
});
