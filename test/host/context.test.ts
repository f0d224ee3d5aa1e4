/**
 * Which request code belongs to, under concurrency: currentRequest(), FASTLY_TRACE_ID, the request id
 * of store operations and the initialization check, after every kind of await, with requests and an
 * app's load interleaved — under the default rule (AsyncLocalStorage for every request) and under the
 * solo rule `edge-kv dev` uses (a request alone in flight runs without it; src/host/context.ts).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { getRegistry, resetRegistry } from "edge-kv";
import { currentRequest, loadApp, type FetchEvent } from "edge-kv/host";
import { env } from "fastly:env";
import { KVStore } from "fastly:kv-store";
import { openOutsideScope, useSoloRequests } from "../../src/host/context.js";
import { deferred, inlineApp } from "./helpers.js";

const id = (n: number) => n.toString(16).padStart(32, "0");

afterEach(() => resetRegistry());

/**
 * An app whose request `/<name>` records, at each step, the request it believes it is in (currentRequest,
 * FASTLY_TRACE_ID, whether a store can be constructed) and reads the key <name>, waiting on gates the
 * test (or another request) opens. `/open/<gate>` opens a gate from inside a request.
 */
function gatedApp() {
  const gates = new Map<string, ReturnType<typeof deferred<void>>>();
  const gate = (name: string) => {
    if (!gates.has(name)) gates.set(name, deferred());
    return gates.get(name)!;
  };
  const seen: Array<[string, string, string | undefined, string | undefined, string]> = [];
  const look = (name: string, step: string) => {
    let store = "ok";
    try {
      new KVStore("data");
    } catch (error) {
      store = (error as Error).message;
    }
    seen.push([name, step, currentRequest()?.requestId, env("FASTLY_TRACE_ID"), store]);
  };
  const listener = (event: FetchEvent) => {
    const path = new URL(event.request.url).pathname.slice(1);
    if (path.startsWith("open/")) {
      gate(path.slice(5)).resolve();
      return event.respondWith(new Response("opened"));
    }
    event.respondWith(
      (async () => {
        look(path, "sync");
        await gate(`${path}1`).promise;
        look(path, "gate 1");
        await new Promise((resolve) => setTimeout(resolve, 0));
        look(path, "timer");
        await new Promise<void>((resolve) => queueMicrotask(resolve));
        look(path, "microtask");
        await new KVStore("data").get(path);
        look(path, "store read");
        await gate(`${path}2`).promise;
        look(path, "gate 2");
        return new Response(path);
      })(),
    );
  };
  return { listener, gate, seen };
}

/** The store reads' events: key → the request id they carried. */
function readsByRequest() {
  const reads: Array<[string | undefined, unknown]> = [];
  getRegistry().onOperation((event) => {
    if (event.operation === "lookup") reads.push([event.key, (event.context as { requestId?: string } | undefined)?.requestId]);
  });
  return reads;
}

for (const rule of ["default", "solo"] as const) {
  describe(`the ${rule} rule`, () => {
    const withRule = async (body: () => Promise<void>) => {
      const release = rule === "solo" ? useSoloRequests() : () => {};
      try {
        await body();
      } finally {
        release();
      }
    };

    it("every step of every request sees its own request, also when another request opens its gates and while an app loads", () =>
      withRule(async () => {
        getRegistry().defineStore("data");
        const reads = readsByRequest();
        const { listener, gate, seen } = gatedApp();
        // Ids from 16: none is FASTLY_TRACE_ID's value outside any request (000…0).
        const { app, reported } = await inlineApp([listener], { requestIdStart: 16 });
        // a: alone in flight (solo under the solo rule); b and c start while it waits.
        const a = app.fetch("/a");
        const b = app.fetch("/b");
        // b's gate is opened from inside a third request (c: its own request, opening b's and a's gates).
        await app.fetch("/open/b1");
        await app.fetch("/open/a1");
        // An app loading meanwhile: its top level, also after an await, is initialization.
        const initLooks: string[] = [];
        const initGate = deferred();
        const loading = loadApp(async () => {
          (globalThis as unknown as { addEventListener(type: string, listener: unknown): void }).addEventListener("fetch", () => {});
          await initGate.promise;
          try {
            new KVStore("data");
            initLooks.push("constructed");
          } catch (error) {
            initLooks.push((error as Error).message);
          }
          initLooks.push(String(currentRequest()?.requestId));
        });
        gate("b2").resolve();
        expect(await (await b).text()).toBe("b");
        initGate.resolve();
        await loading;
        gate("a2").resolve();
        expect(await (await a).text()).toBe("a");
        // Quiet again; d alone, then e overlapping it, each opened in the other order.
        const d = app.fetch("/d");
        const e = app.fetch("/e");
        gate("e1").resolve();
        gate("d1").resolve();
        gate("d2").resolve();
        gate("e2").resolve();
        expect([await (await d).text(), await (await e).text()]).toEqual(["d", "e"]);
        await app.settled();

        const requestIds: Record<string, string> = { a: id(16), b: id(17), d: id(20), e: id(21) }; // 18, 19: the two /open requests
        const steps = ["sync", "gate 1", "timer", "microtask", "store read", "gate 2"];
        for (const name of Object.keys(requestIds)) {
          expect(seen.filter(([request]) => request === name)).toEqual(steps.map((step) => [name, step, requestIds[name], requestIds[name], "ok"]));
        }
        expect(reads.sort()).toEqual(Object.entries(requestIds).map(([key, requestId]) => [key, requestId]));
        expect(initLooks).toEqual(["The KVStore builtin can only be used during request handling, not during initialization", "undefined"]);
        expect(reported).toEqual([]);
        expect(currentRequest()).toBeUndefined();
      }));

    it("a continuation of the first request resumed from inside later requests (a promise they resolve, a callback they call) still sees the first", () =>
      withRule(async () => {
        const callbacks: Array<() => void> = [];
        const wake = deferred();
        const seen: Array<[string, string | undefined]> = [];
        const { app } = await inlineApp([
          (event) => {
            const path = new URL(event.request.url).pathname;
            if (path === "/first") {
              return event.respondWith(
                (async () => {
                  callbacks.push(() => seen.push(["callback from later request", currentRequest()?.requestId]));
                  await wake.promise;
                  seen.push(["first, woken by a later request", currentRequest()?.requestId]);
                  await null;
                  seen.push(["first, after one more await", currentRequest()?.requestId]);
                  return new Response();
                })(),
              );
            }
            event.respondWith(
              (async () => {
                await null;
                wake.resolve();
                for (const callback of callbacks.splice(0)) callback();
                seen.push(["later", currentRequest()?.requestId]);
                return new Response();
              })(),
            );
          },
        ]);
        const first = app.fetch("/first");
        await app.fetch("/later");
        await first;
        // A callback runs where it is called (AsyncLocalStorage's rule): in the later request.
        expect(seen).toEqual([
          ["callback from later request", id(1)],
          ["later", id(1)],
          ["first, woken by a later request", id(0)],
          ["first, after one more await", id(0)],
        ]);
      }));
  });
}

it("the solo rule: code run in the outside scope (the dev server's explorer requests) belongs to no request while one is alone in flight", async () => {
  const release = useSoloRequests();
  try {
    getRegistry().defineStore("data");
    const reads = readsByRequest();
    const { listener, gate } = gatedApp();
    const { app } = await inlineApp([listener], { requestIdStart: 16 });
    const noRequest = env("FASTLY_TRACE_ID");
    const a = app.fetch("/a");
    const outside = openOutsideScope();
    const seen = await outside.run(async () => {
      await new KVStore("data").get("outside");
      await new Promise((resolve) => setTimeout(resolve, 0));
      return [currentRequest()?.requestId, env("FASTLY_TRACE_ID")];
    });
    outside.close();
    gate("a1").resolve();
    gate("a2").resolve();
    await a;
    expect(seen).toEqual([undefined, noRequest]);
    expect(noRequest).not.toBe(id(16));
    expect(reads.sort()).toEqual([["a", id(16)], ["outside", undefined]]);
  } finally {
    release();
  }
});

it("the default rule: code outside the requests sees no request, even while one is in flight", async () => {
  const gate = deferred();
  const { app } = await inlineApp([(event) => event.respondWith(gate.promise.then(() => new Response()))]);
  const pending = app.fetch("/");
  await null;
  expect(currentRequest()).toBeUndefined();
  gate.resolve();
  await pending;
});

it("the solo rule removes Node's promise hooks while a request is alone and once the app is quiet; overlapping requests get them", () => {
  const script = fileURLToPath(new URL("./fixtures/solo-hooks.ts", import.meta.url));
  const run = (...args: string[]) => {
    const result = spawnSync(process.execPath, ["--import", "tsx", script, ...args], { encoding: "utf8", timeout: 60_000 });
    expect(result.stderr).toBe("");
    return JSON.parse(result.stdout) as Record<string, number>;
  };
  // executionAsyncId() after an await is 0 exactly when no hook tracks promises.
  const solo = run();
  expect({ ...solo, overlapping: solo.overlapping! > 0 }).toEqual({ alone: 0, overlapping: true, quiet: 0, aloneAgain: 0, outside: 0 });
  const exact = run("--exact");
  expect([exact.alone, exact.quiet, exact.aloneAgain, exact.outside].every((value) => value! > 0)).toBe(true);
});
