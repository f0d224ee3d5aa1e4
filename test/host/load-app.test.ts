/**
 * Loading apps: listeners captured per app while its module evaluates, nothing left on globalThis,
 * fresh module state per load, the runtime's addEventListener checks, per-app registries.
 */
import { afterEach, describe, expect, it } from "vitest";
import { HostMessages, currentRequest, loadApp } from "edge-kv/host";
import { KVRegistry, getRegistry, resetRegistry } from "edge-kv";
import { loadedModules } from "./fixtures/shared-state.js";
import { inlineApp } from "./helpers.js";

const fixture = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);
const global = globalThis as unknown as { addEventListener?: (type: unknown, listener?: unknown) => void };

afterEach(() => {
  resetRegistry();
});

describe("capturing listeners", () => {
  it("leaves globalThis as it found it: no addEventListener in Node before, during requests, or after (also after a load that failed)", async () => {
    expect(Object.getOwnPropertyDescriptor(globalThis, "addEventListener")).toBeUndefined();
    let duringRequest: unknown = "not called";
    const { app } = await inlineApp([
      (event) => {
        duringRequest = Object.getOwnPropertyDescriptor(globalThis, "addEventListener");
        event.respondWith(new Response());
      },
    ]);
    await app.fetch("/");
    await expect(loadApp(fixture("throws-at-load.ts"))).rejects.toThrow(new RangeError("the app failed at its top level"));
    expect(duringRequest).toBeUndefined();
    expect(Object.getOwnPropertyDescriptor(globalThis, "addEventListener")).toBeUndefined();
  });

  it("addEventListener while loading is the runtime's: writable, configurable, not enumerable, length 2", async () => {
    let seen: PropertyDescriptor | undefined;
    await inlineApp([() => {}]).then(() => undefined);
    await loadApp(() => {
      seen = Object.getOwnPropertyDescriptor(globalThis, "addEventListener");
      global.addEventListener!("fetch", () => {});
    });
    expect(seen).toMatchObject({ writable: true, enumerable: false, configurable: true });
    expect([(seen!.value as () => void).name, (seen!.value as () => void).length]).toEqual(["addEventListener", 2]);
  });

  it("with fewer than 2 arguments: TypeError 'addEventListener: At least 2 arguments required, but only 1 passed'", async () => {
    await expect(loadApp(() => global.addEventListener!("fetch"))).rejects.toThrow(new TypeError("addEventListener: At least 2 arguments required, but only 1 passed"));
  });

  it("an event other than 'fetch' fails the load with the runtime's message; any prefix of 'fetch' is accepted (strncmp)", async () => {
    await expect(loadApp(() => global.addEventListener!("load", () => {}))).rejects.toThrow(new Error(HostMessages.onlyFetchEvent("load")));
    await expect(loadApp(() => global.addEventListener!("fetchx", () => {}))).rejects.toThrow(new Error("addEventListener only supports the event 'fetch' right now, but got event 'fetchx'"));
    for (const prefix of ["", "f", "fet", "fetch"]) {
      const app = await loadApp(() => global.addEventListener!(prefix, (event: { respondWith(response: Response): void }) => event.respondWith(new Response(`registered as '${prefix}'`))));
      expect(await (await app.fetch("/")).text()).toBe(`registered as '${prefix}'`);
    }
  });

  it("a listener that is not a function fails the load: 'addEventListener: Argument 2 is not a function.'", async () => {
    await expect(loadApp(() => global.addEventListener!("fetch", { handleEvent() {} }))).rejects.toThrow(new Error(HostMessages.listenerNotFunction));
  });

  it("an app that registers no fetch listener (an exported handler, as on Workers) fails the load with an error saying what Compute expects", async () => {
    const url = fixture("exports-handler.ts");
    await expect(loadApp(url)).rejects.toThrow(
      `edge-kv: loadApp: ${url.href} registered no fetch listener while it loaded. A Compute app calls addEventListener("fetch", (event) => event.respondWith(...)) at its top level; an exported handler (export default { fetch }) is never called on Compute.`,
    );
  });

  it("two apps loaded at the same time each get their own listeners", async () => {
    const load = (name: string) => loadApp(() => global.addEventListener!("fetch", (event: { respondWith(response: Response): void }) => event.respondWith(new Response(name))));
    const [first, second] = await Promise.all([load("first"), load("second")]);
    expect([await (await first.fetch("/")).text(), await (await second.fetch("/")).text()]).toEqual(["first", "second"]);
  });
});

describe("fresh module state", () => {
  it("a path or URL entry is evaluated afresh on every load (the modules it imports are shared)", async () => {
    const before = loadedModules.length;
    const first = await loadApp(fixture("counter-app.ts"));
    const second = await loadApp(fixture("counter-app.ts").pathname);
    const texts = async (app: Awaited<ReturnType<typeof loadApp>>) => (await app.fetch("/")).text();
    expect(await texts(first)).toBe(`instance ${before + 1}, request 1`);
    expect(await texts(first)).toBe(`instance ${before + 1}, request 2`);
    expect(await texts(second)).toBe(`instance ${before + 2}, request 1`);
    expect(loadedModules.length).toBe(before + 2);
  });

  it("a relative path is resolved against the working directory", async () => {
    const app = await loadApp("test/host/fixtures/counter-app.ts");
    expect(await (await app.fetch("/")).text()).toMatch(/^instance \d+, request 1$/);
  });

  it("fresh: false imports the entry as is (a module already evaluated registers nothing again)", async () => {
    const url = fixture("counter-app.ts");
    const first = await loadApp(`${url.href}?pinned`, { fresh: false });
    expect((await first.fetch("/")).status).toBe(200);
    await expect(loadApp(`${url.href}?pinned`, { fresh: false })).rejects.toThrow("registered no fetch listener while it loaded");
  });

  it("a loader function is called once; a module it had imported before says so in the error", async () => {
    await expect(loadApp(() => import("./fixtures/shared-state.js"))).rejects.toThrow(
      "If that module was imported before, its top level did not run again: pass its path or URL instead (loadApp evaluates a fresh copy), or call vi.resetModules() first.",
    );
  });
});

describe("stores", () => {
  it("the app reads and writes the active registry's stores (fastly:kv-store)", async () => {
    const store = getRegistry().defineStore("data");
    await store.put("greeting", "hello");
    const app = await loadApp(fixture("kv-app.ts"));
    expect(await (await app.fetch("/greeting")).text()).toBe("hello");
    expect((await app.fetch("/new", { method: "PUT", body: "written" })).status).toBe(204);
    expect(await store.snapshot()).toEqual({ greeting: "hello", new: "written" });
  });

  it("loadApp(entry, { registry }) runs the app against its own stores, also after awaits, while other apps use theirs", async () => {
    const own = new KVRegistry();
    own.defineStore("data");
    const shared = getRegistry().defineStore("data");
    const isolated = await loadApp(fixture("kv-app.ts"), { registry: own });
    const plain = await loadApp(fixture("kv-app.ts"));
    await Promise.all([isolated.fetch("/k", { method: "PUT", body: "isolated" }), plain.fetch("/k", { method: "PUT", body: "plain" })]);
    expect(await own.store("data").snapshot()).toEqual({ k: "isolated" });
    expect(await shared.snapshot()).toEqual({ k: "plain" });
    expect(getRegistry()).not.toBe(own);
  });

  it("store operations made by a request carry its id in registry.onOperation events; others carry none", async () => {
    const registry = getRegistry();
    const store = registry.defineStore("data");
    const events: Array<[string, string | undefined, unknown]> = [];
    registry.onOperation((event) => events.push([event.operation, event.key, event.context]));
    const app = await loadApp(fixture("kv-app.ts"));
    await app.fetch("/a", { method: "PUT", body: "1" });
    await app.fetch("/a");
    await store.inspect("a");
    expect(events).toEqual([
      ["insert", "a", { requestId: "00000000000000000000000000000000" }],
      ["lookup", "a", { requestId: "00000000000000000000000000000001" }],
      ["lookup", "a", undefined],
    ]);
  });

  it("currentRequest() names the request being handled, across awaits", async () => {
    const seen: unknown[] = [];
    const { app } = await inlineApp([
      (event) =>
        event.respondWith(
          (async () => {
            seen.push(currentRequest()?.requestId);
            await new Promise((resolve) => setTimeout(resolve, 1));
            seen.push(currentRequest()?.traceId);
            return new Response();
          })(),
        ),
    ]);
    await Promise.all([app.fetch("/"), app.fetch("/")]);
    expect(seen.sort()).toEqual(["00000000000000000000000000000000", "00000000000000000000000000000000", "00000000000000000000000000000001", "00000000000000000000000000000001"]);
    expect(currentRequest()).toBeUndefined();
  });
});

describe("close and options", () => {
  it("close() waits for pending work, then fetch rejects with an EdgeKvError", async () => {
    const { app } = await inlineApp([(event) => event.respondWith(new Response())]);
    await app.close();
    await expect(app.fetch("/")).rejects.toThrow("edge-kv: this app was closed (app.close()); load it again with loadApp(...) to send it requests");
  });

  it("refuses bad options and entries with errors naming them", async () => {
    const noop = () => {};
    await expect(loadApp(noop, { port: 1 } as never)).rejects.toThrow('edge-kv: loadApp: unknown option "port". Options are: registry, env, globals, client, server, geolocation, origin, requestIdStart, onError, fresh');
    await expect(loadApp(noop, { origin: "/relative" })).rejects.toThrow('edge-kv: loadApp: origin must be an absolute URL like "https://example.com", got "/relative"');
    await expect(loadApp(noop, { requestIdStart: -1 })).rejects.toThrow("edge-kv: loadApp: requestIdStart must be a non-negative integer, got -1");
    await expect(loadApp(noop, { onError: "log" as never })).rejects.toThrow("edge-kv: loadApp: onError must be a function (error, info) => void, got string");
    await expect(loadApp(noop, { registry: {} as never })).rejects.toThrow("edge-kv: loadApp: registry must be a KVRegistry (new KVRegistry() from edge-kv)");
    await expect(loadApp("")).rejects.toThrow("edge-kv: loadApp: the entry must be a path, a URL or a function that imports the app module, got an empty string");
    await expect(loadApp(42 as never)).rejects.toThrow("edge-kv: loadApp: the entry must be a path, a URL or a function that imports the app module, got number");
  });

  it("a missing entry file rejects with the loader's own error", async () => {
    await expect(loadApp(fixture("missing.ts"))).rejects.toThrow(/missing\.ts/);
  });
});
