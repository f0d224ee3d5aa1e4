/**
 * FetchEvent, ClientInfo and ServerInfo as the Compute runtime builds them, and the values Viceroy
 * gives a local request (shared/reference/compute-app-host.md §1).
 */
import { describe, expect, it } from "vitest";
import { HostMessages, LOCAL_SERVER, VICEROY_LOOPBACK_GEO, type FetchEvent } from "edge-kv/host";
import { inlineApp } from "./helpers.js";

/** The event of one GET request to an app that answers 200. */
async function captureEvent(init?: Parameters<Awaited<ReturnType<typeof inlineApp>>["app"]["fetch"]>[1], path = "/"): Promise<FetchEvent> {
  let captured: FetchEvent | undefined;
  const { app } = await inlineApp([
    (event) => {
      captured = event;
      event.respondWith(new Response("ok"));
    },
  ]);
  await app.fetch(path, init);
  return captured!;
}

const descriptorsOf = (object: object) => Object.entries(Object.getOwnPropertyDescriptors(object));

describe("shapes", () => {
  it("FetchEvent.prototype: constructor, then enumerable getters client, request, server and enumerable methods respondWith, waitUntil, sendEarlyHints (length 1)", async () => {
    const prototype = Object.getPrototypeOf(await captureEvent()) as object;
    expect(Reflect.ownKeys(prototype)).toEqual(["constructor", "client", "request", "server", "respondWith", "waitUntil", "sendEarlyHints"]);
    for (const [key, descriptor] of descriptorsOf(prototype)) {
      if (key === "constructor") continue;
      expect(descriptor.enumerable, key).toBe(true);
      if (["client", "request", "server"].includes(key)) expect([typeof descriptor.get, descriptor.set], key).toEqual(["function", undefined]);
      else expect([typeof descriptor.value, (descriptor.value as () => void).length], key).toEqual(["function", 1]);
    }
    expect(Object.keys(await captureEvent())).toEqual([]);
  });

  it("ClientInfo.prototype: the runtime's twelve enumerable getters in its order; ServerInfo.prototype: address", async () => {
    const event = await captureEvent();
    const client = Object.getPrototypeOf(event.client) as object;
    expect(Reflect.ownKeys(client)).toEqual([
      "constructor",
      "requestId",
      "address",
      "geo",
      "tlsCipherOpensslName",
      "tlsProtocol",
      "tlsJA3MD5",
      "tlsJA4",
      "h2Fingerprint",
      "ohFingerprint",
      "tlsClientCertificate",
      "tlsClientHello",
      "tlsClientSNI",
    ]);
    for (const [key, descriptor] of descriptorsOf(client)) if (key !== "constructor") expect([descriptor.enumerable, typeof descriptor.get], key).toEqual([true, "function"]);
    expect(Reflect.ownKeys(Object.getPrototypeOf(event.server) as object)).toEqual(["constructor", "address"]);
  });

  it("FetchEvent, ClientInfo and ServerInfo cannot be constructed: TypeError '<Class> builtin can't be instantiated directly'; none is a global", async () => {
    const event = await captureEvent();
    const classes = [event.constructor, event.client.constructor, event.server.constructor] as Array<new (...args: unknown[]) => unknown>;
    expect(classes.map((value) => value.name)).toEqual(["FetchEvent", "ClientInfo", "ServerInfo"]);
    for (const Class of classes) expect(() => new Class()).toThrow(new TypeError(HostMessages.notConstructible(Class.name)));
    expect(["FetchEvent", "ClientInfo", "ServerInfo"].filter((name) => name in globalThis)).toEqual([]);
  });

  it("a getter or method called on another object throws the runtime's TypeError naming its C++ function", async () => {
    const event = await captureEvent();
    const eventPrototype = Object.getPrototypeOf(event) as object;
    const get = (prototype: object, key: string) => Object.getOwnPropertyDescriptor(prototype, key)!.get!;
    expect(() => get(eventPrototype, "client").call({})).toThrow(new TypeError("Method 'client_get' called on receiver that's not an instance of FetchEvent"));
    expect(() => get(eventPrototype, "request").call(1)).toThrow(new TypeError("Method 'request_get' called on receiver that's not an instance of FetchEvent"));
    expect(() => event.respondWith.call(event.client, new Response())).toThrow(new TypeError("Method 'respondWith' called on receiver that's not an instance of FetchEvent"));
    expect(() => event.waitUntil.call(undefined, Promise.resolve())).toThrow(new TypeError("Method 'waitUntil' called on receiver that's not an instance of FetchEvent"));
    const clientPrototype = Object.getPrototypeOf(event.client) as object;
    expect(() => get(clientPrototype, "requestId").call(event)).toThrow(new TypeError("Method 'request_id_get' called on receiver that's not an instance of ClientInfo"));
    expect(() => get(clientPrototype, "tlsJA3MD5").call(null)).toThrow(new TypeError("Method 'tls_ja3_md5_get' called on receiver that's not an instance of ClientInfo"));
    expect(() => get(Object.getPrototypeOf(event.server) as object, "address").call(event.client)).toThrow(new TypeError("Method 'address_get' called on receiver that's not an instance of ServerInfo"));
  });

  it("client, server and request are the same object on every access; every ClientInfo value too, except geo (a new object each time)", async () => {
    const event = await captureEvent({ client: { tlsClientCertificate: new Uint8Array([1, 2]) } });
    expect(event.client).toBe(event.client);
    expect(event.server).toBe(event.server);
    expect(event.request).toBe(event.request);
    expect(event.client.tlsClientCertificate).toBe(event.client.tlsClientCertificate);
    expect(event.client.geo).not.toBe(event.client.geo);
    expect(event.client.geo).toEqual(event.client.geo);
  });
});

describe("the request", () => {
  it("GET and HEAD requests have body null; every other method a body stream, empty when nothing was sent", async () => {
    const bodies: Array<[string, boolean, string]> = [];
    const { app } = await inlineApp([
      (event) => {
        const { request } = event;
        event.respondWith(
          (async () => {
            bodies.push([request.method, request.body === null, request.body === null ? "" : await request.text()]);
            return new Response();
          })(),
        );
      },
    ]);
    for (const method of ["GET", "HEAD", "POST", "DELETE", "OPTIONS"]) await app.fetch("/", { method });
    await app.fetch("/", { method: "PUT", body: "sent" });
    expect(bodies).toEqual([
      ["GET", true, ""],
      ["HEAD", true, ""],
      ["POST", false, ""],
      ["DELETE", false, ""],
      ["OPTIONS", false, ""],
      ["PUT", false, "sent"],
    ]);
  });

  it("a path is resolved against Viceroy's address http://127.0.0.1:7676 (or the origin option); absolute URLs and Requests are kept", async () => {
    const urls: string[] = [];
    const listener = (event: FetchEvent) => {
      urls.push(event.request.url);
      event.respondWith(new Response());
    };
    const { app } = await inlineApp([listener]);
    await app.fetch("/links?limit=2");
    await app.fetch("relative");
    await app.fetch("https://example.com/a");
    await app.fetch(new URL("http://localhost:8080/b"));
    await app.fetch(new Request("https://example.org/c", { headers: { "x-test": "1" } }));
    const { app: other } = await inlineApp([listener], { origin: "https://sho.rt/ignored/path" });
    await other.fetch("/d");
    expect(urls).toEqual([
      "http://127.0.0.1:7676/links?limit=2",
      "http://127.0.0.1:7676/relative",
      "https://example.com/a",
      "http://localhost:8080/b",
      "https://example.org/c",
      "https://sho.rt/d",
    ]);
  });

  it("has a Host header, as every request reaching Compute has: the URL's host unless the request names one", async () => {
    const hosts: Array<string | null> = [];
    const { app } = await inlineApp([
      (event) => {
        hosts.push(event.request.headers.get("host"));
        event.respondWith(new Response());
      },
    ]);
    await app.fetch("/a");
    await app.fetch("https://example.com:8443/b", { method: "POST", body: "x" });
    await app.fetch(new Request("http://localhost/c"));
    await app.fetch("/d", { headers: { host: "shop.example" } });
    expect(hosts).toEqual(["127.0.0.1:7676", "example.com:8443", "localhost", "shop.example"]);
  });

  it("takes the Host header from the URL as URL#host gives it: default ports dropped, IPv6, IDNA, no authority", async () => {
    const hosts: Array<string | null> = [];
    const { app } = await inlineApp([
      (event) => {
        hosts.push(event.request.headers.get("host"));
        event.respondWith(new Response());
      },
    ]);
    const urls = [
      "http://example.com:80/x",
      "https://EXAMPLE.com:443?q=1",
      "http://example.com:8080#frag",
      "http://[::1]:7676/a/b",
      "http://[0:0::1]/",
      "http://bücher.example/",
      "http://192.168.0.1:1/",
      "http://example.com?x=//y",
      "foo://host:99/path",
      "foo://h/",
      "foo://h?q=//x",
      "foo://h:1#f/g",
      "foo:/path",
      "foo:////x",
      "file:///etc/hosts",
      "file://server/share",
      "data:text/plain,hi",
    ];
    for (const url of urls) await app.fetch(url);
    expect(hosts).toEqual(urls.map((url) => new URL(url).host));
    expect(hosts.slice(0, 7)).toEqual(["example.com", "example.com", "example.com:8080", "[::1]:7676", "[::1]", "xn--bcher-kva.example", "192.168.0.1:1"]);
  });

  it("rejects what new Request() rejects (a GET with a body: TypeError), without calling the app", async () => {
    let calls = 0;
    const { app } = await inlineApp([() => void calls++]);
    await expect(app.fetch("/", { method: "GET", body: "x" })).rejects.toThrow(TypeError);
    await expect(app.fetch("http://[bad")).rejects.toThrow(TypeError);
    expect(calls).toBe(0);
  });
});

describe("client and server values, as Viceroy sets them", () => {
  it("requestId counts from 000…000 in 32 lowercase hex digits; address 127.0.0.1 with Viceroy's loopback geo; TLS fields null; server 127.0.0.1", async () => {
    const seen: unknown[] = [];
    const { app } = await inlineApp([
      (event) => {
        const { client, server } = event;
        seen.push({ ...Object.fromEntries(Object.keys(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(client))).filter((key) => key !== "constructor").map((key) => [key, client[key as keyof typeof client]])), server: server.address });
        event.respondWith(new Response());
      },
    ]);
    await app.fetch("/");
    await app.fetch("/");
    const expected = (requestId: string) => ({
      requestId,
      address: LOCAL_SERVER.clientAddress,
      geo: VICEROY_LOOPBACK_GEO,
      tlsCipherOpensslName: null,
      tlsProtocol: null,
      tlsJA3MD5: null,
      tlsJA4: null,
      h2Fingerprint: null,
      ohFingerprint: null,
      tlsClientCertificate: null,
      tlsClientHello: null,
      tlsClientSNI: null,
      server: "127.0.0.1",
    });
    expect(seen).toEqual([expected("00000000000000000000000000000000"), expected("00000000000000000000000000000001")]);
    expect(Object.keys(VICEROY_LOOPBACK_GEO)).toEqual([...Object.keys(VICEROY_LOOPBACK_GEO)].sort());
  });

  it("values are overridable per app and per request; a non-loopback address has geo null unless geo is given; requestIdStart moves the counter", async () => {
    const seen: unknown[] = [];
    const { app } = await inlineApp(
      [
        (event) => {
          seen.push([event.client.requestId, event.client.address, event.client.geo?.city ?? null, event.client.tlsProtocol, event.server.address]);
          event.respondWith(new Response());
        },
      ],
      { client: { address: "203.0.113.7", tlsProtocol: "TLSv1.3" }, server: { address: "198.51.100.1" }, requestIdStart: 255 },
    );
    await app.fetch("/");
    await app.fetch("/", { client: { address: "::1" } });
    await app.fetch("/", { client: { geo: { city: "Oslo" }, requestId: "custom" }, server: { address: "10.0.0.1" } });
    await app.fetch("/", { client: { address: "127.8.9.10", geo: null } });
    expect(seen).toEqual([
      ["000000000000000000000000000000ff", "203.0.113.7", null, "TLSv1.3", "198.51.100.1"],
      ["00000000000000000000000000000100", "::1", "San Francisco", "TLSv1.3", "198.51.100.1"],
      ["custom", "203.0.113.7", "Oslo", "TLSv1.3", "10.0.0.1"],
      ["00000000000000000000000000000101", "127.8.9.10", null, "TLSv1.3", "198.51.100.1"],
    ]);
  });

  it("bad overrides are refused with an error naming the field (loadApp rejects; fetch rejects without calling the app)", async () => {
    await expect(inlineApp([() => {}], { client: { address: 7 as never } })).rejects.toThrow("edge-kv: loadApp: client.address must be a string or null, got number");
    await expect(inlineApp([() => {}], { client: { port: 1 } as never })).rejects.toThrow('edge-kv: loadApp: unknown client field "port". Client fields are: requestId, geo, address,');
    const { app } = await inlineApp([() => {}]);
    await expect(app.fetch("/", { client: { geo: [] as never } })).rejects.toThrow("edge-kv: loadApp: init.client.geo must be a geolocation object or null, got an array");
    await expect(app.fetch("/", { server: { address: null as never } })).rejects.toThrow("edge-kv: loadApp: init.server.address must be a string, got object");
    await expect(app.fetch("/", { client: { tlsClientHello: "x" as never } })).rejects.toThrow("edge-kv: loadApp: init.client.tlsClientHello must be an ArrayBuffer, a typed array or null, got string");
  });
});
