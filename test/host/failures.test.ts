/**
 * respondWith / waitUntil rules and the failure matrix (shared/reference/compute-app-host.md §1.2,
 * §1.3, §1.6): what the client gets (the runtime's 500: empty body, no headers) and what the
 * developer sees (every error reported to onError with its stack, never swallowed).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { HostMessages, RuntimeLog, loadApp, type FetchEvent } from "edge-kv/host";
import { deferred, inlineApp, tick } from "./helpers.js";

async function expectRuntime500(response: Response): Promise<void> {
  expect(response.status).toBe(500);
  expect([...response.headers]).toEqual([]);
  expect(await response.text()).toBe("");
}

describe("respondWith", () => {
  it("sends the Response given, or the one a promise resolves to", async () => {
    const { app } = await inlineApp([(event) => event.respondWith(new URL(event.request.url).pathname === "/now" ? new Response("now", { status: 201 }) : Promise.resolve(new Response("later")))]);
    const now = await app.fetch("/now");
    expect([now.status, await now.text()]).toEqual([201, "now"]);
    expect(await (await app.fetch("/later")).text()).toBe("later");
  });

  it("without an argument: TypeError 'respondWith: At least 1 argument required, but only 0 passed' (a listener throw: 500)", async () => {
    const { app, reported } = await inlineApp([(event) => (event.respondWith as () => void)()]);
    await expectRuntime500(await app.fetch("/"));
    expect(reported).toHaveLength(1);
    expect(reported[0]!.error).toEqual(new TypeError("respondWith: At least 1 argument required, but only 0 passed"));
    expect(reported[0]!.info).toMatchObject({ kind: "listener-threw", message: RuntimeLog.listenerThrew, method: "GET", url: "http://127.0.0.1:7676/" });
  });

  it("after an await in an async listener: Error 'FetchEvent#respondWith must be called synchronously from within a FetchEvent handler', reported; the client gets 500", async () => {
    const { app, reported } = await inlineApp([
      async (event) => {
        await Promise.resolve();
        event.respondWith(new Response("too late"));
      },
    ]);
    await expectRuntime500(await app.fetch("/"));
    expect(reported.map(({ error, info }) => [error, info.kind])).toEqual([[new Error(HostMessages.respondWithNotSync), "listener-rejected"]]);
    expect((reported[0]!.error as Error).constructor).toBe(Error);
  });

  it("from a then() callback or a timer: the same Error, thrown to the caller", async () => {
    const thrown = deferred<unknown>();
    const { app } = await inlineApp([
      (event) => {
        setTimeout(() => {
          try {
            event.respondWith(new Response());
          } catch (error) {
            thrown.resolve(error);
          }
        }, 0);
        event.waitUntil(thrown.promise);
      },
    ]);
    await expectRuntime500(await app.fetch("/"));
    expect(await thrown.promise).toEqual(new Error(HostMessages.respondWithNotSync));
  });

  it("called twice in one listener: not refused; the first promise to settle answers", async () => {
    const slow = deferred<Response>();
    const { app, reported } = await inlineApp([
      (event) => {
        event.respondWith(slow.promise);
        event.respondWith(new Response("second, settled first"));
      },
    ]);
    expect(await (await app.fetch("/")).text()).toBe("second, settled first");
    slow.resolve(new Response("first"));
    await app.settled();
    expect(reported).toEqual([]);
  });

  it("a promise that settles to something other than a Response: 500, and the runtime's message is reported", async () => {
    const { app, reported } = await inlineApp([(event) => event.respondWith(Promise.resolve("just a string") as never)]);
    await expectRuntime500(await app.fetch("/"));
    expect(reported.map(({ error, info }) => [error, info.kind, info.message])).toEqual([
      [new Error(HostMessages.respondWithNotResponse), "not-a-response", `${HostMessages.respondWithNotResponse} (got the string "just a string"); the runtime answers 500`],
    ]);
  });

  it("a thenable is accepted when called (PromiseResolve), and answers once it resolves", async () => {
    const { app } = await inlineApp([(event) => event.respondWith({ then: (resolve: (value: Response) => void) => resolve(new Response("thenable")) } as never)]);
    expect(await (await app.fetch("/")).text()).toBe("thenable");
  });

  it("a rejected promise: 500, and the rejection is reported with its stack", async () => {
    const failure = new Error("backend down");
    const { app, reported } = await inlineApp([(event) => event.respondWith(Promise.reject(failure))]);
    await expectRuntime500(await app.fetch("/"));
    expect(reported).toHaveLength(1);
    expect(reported[0]!.error).toBe(failure);
    expect(reported[0]!.info.kind).toBe("response-rejected");
    expect(reported[0]!.info.message.startsWith(RuntimeLog.responseRejected)).toBe(true);
  });
});

describe("listeners", () => {
  it("are called in order with this = globalThis; the first that responds ends the dispatch", async () => {
    const calls: string[] = [];
    const { app } = await inlineApp([
      function (this: unknown) {
        calls.push(this === globalThis ? "first (this = globalThis)" : "first");
      },
      (event) => {
        calls.push("second");
        event.respondWith(new Response("second"));
      },
      () => void calls.push("third"),
    ]);
    expect(await (await app.fetch("/")).text()).toBe("second");
    expect(calls).toEqual(["first (this = globalThis)", "second"]);
  });

  it("one that throws before responding: 500, reported as 'Exception while dispatching FetchEvent'; later listeners are not called", async () => {
    const failure = new TypeError("boom");
    let later = false;
    const { app, reported } = await inlineApp([
      () => {
        throw failure;
      },
      (event) => {
        later = true;
        event.respondWith(new Response());
      },
    ]);
    await expectRuntime500(await app.fetch("/"));
    expect(later).toBe(false);
    expect(reported.map(({ error, info }) => [error, info.kind, info.message])).toEqual([[failure, "listener-threw", "Exception while dispatching FetchEvent"]]);
  });

  it("one that responds and then throws: the response goes out, the throw is reported", async () => {
    const { app, reported } = await inlineApp([
      (event) => {
        event.respondWith(new Response("sent"));
        throw new Error("after responding");
      },
    ]);
    expect(await (await app.fetch("/")).text()).toBe("sent");
    expect(reported.map(({ error, info }) => [error, info.kind])).toEqual([[new Error("after responding"), "listener-threw"]]);
  });

  it("none calls respondWith: 500 once every waitUntil promise has settled, reported as not answered", async () => {
    const work = deferred();
    const { app, reported } = await inlineApp([(event) => event.waitUntil(work.promise)]);
    let response: Response | undefined;
    const pending = app.fetch("/").then((value) => (response = value));
    await tick();
    expect(response).toBeUndefined();
    work.resolve();
    await pending;
    await expectRuntime500(response!);
    expect(reported.map(({ error, info }) => [(error as Error).message, info.kind, info.message])).toEqual([
      ["edge-kv: no fetch listener called event.respondWith() while it ran (synchronously), so the runtime answers 500", "no-response", "The fetch event was not answered"],
    ]);
  });
});

describe("waitUntil", () => {
  it("keeps work going after the response; settled() resolves when it is done", async () => {
    const work = deferred();
    const done: string[] = [];
    const { app } = await inlineApp([
      (event) => {
        event.respondWith(new Response("fast"));
        event.waitUntil(work.promise.then(() => void done.push("logged")));
      },
    ]);
    expect(await (await app.fetch("/")).text()).toBe("fast");
    expect(done).toEqual([]);
    let settled = false;
    const waiting = app.settled().then(() => (settled = true));
    await tick();
    expect(settled).toBe(false);
    work.resolve();
    await waiting;
    expect(done).toEqual(["logged"]);
  });

  it("can be called later while a respondWith or waitUntil promise is pending, not once the event is inactive", async () => {
    const results: unknown[] = [];
    const gate = deferred();
    let captured: FetchEvent | undefined;
    const { app } = await inlineApp([
      (event) => {
        captured = event;
        event.respondWith(
          gate.promise.then(() => {
            event.waitUntil(Promise.resolve("while the response is pending: fine"));
            results.push("accepted");
            return new Response();
          }),
        );
      },
    ]);
    const response = app.fetch("/");
    gate.resolve();
    await response;
    await app.settled();
    expect(() => captured!.waitUntil(Promise.resolve())).toThrow(new Error(HostMessages.waitUntilInactive));
    expect(results).toEqual(["accepted"]);
  });

  it("without an argument: TypeError 'waitUntil: At least 1 argument required, but only 0 passed'", async () => {
    const { app, reported } = await inlineApp([
      (event) => {
        event.respondWith(new Response());
        (event.waitUntil as () => void)();
      },
    ]);
    expect((await app.fetch("/")).status).toBe(200);
    expect(reported[0]!.error).toEqual(new TypeError("waitUntil: At least 1 argument required, but only 0 passed"));
  });

  it("a rejection does not change the response and is reported", async () => {
    const { app, reported } = await inlineApp([
      (event) => {
        event.respondWith(new Response("ok"));
        event.waitUntil(Promise.reject(new Error("telemetry failed")));
      },
    ]);
    expect(await (await app.fetch("/")).text()).toBe("ok");
    await app.settled();
    expect(reported.map(({ error, info }) => [error, info.kind])).toEqual([[new Error("telemetry failed"), "wait-until-rejected"]]);
  });
});

describe("sendEarlyHints", () => {
  it("checks its headers (TypeError for bad ones) and sends nothing (Viceroy drops a 103); after the response: Error", async () => {
    const results: unknown[] = [];
    const { app } = await inlineApp([
      (event) => {
        event.sendEarlyHints({ link: "</style.css>; rel=preload; as=style" });
        try {
          event.sendEarlyHints([["bad header name", "x"]]);
        } catch (error) {
          results.push((error as Error).constructor.name);
        }
        event.respondWith(new Response("main"));
        event.waitUntil(
          Promise.resolve().then(async () => {
            await tick();
            try {
              event.sendEarlyHints({});
            } catch (error) {
              results.push(error);
            }
          }),
        );
      },
    ]);
    expect(await (await app.fetch("/")).text()).toBe("main");
    await app.settled();
    expect(results).toEqual(["TypeError", new Error(HostMessages.sendEarlyHintsAfterResponse)]);
  });
});

describe("onError", () => {
  afterEach(() => vi.restoreAllMocks());

  it("defaults to console.error with the runtime's line, the request and the error itself (with its stack)", async () => {
    const printed: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void printed.push(args));
    const failure = new Error("handler bug");
    const app = await loadApp(() => (globalThis as unknown as { addEventListener(type: string, fn: () => void): void }).addEventListener("fetch", () => {
      throw failure;
    }));
    await app.fetch("/x");
    expect(printed).toEqual([["Exception while dispatching FetchEvent (GET http://127.0.0.1:7676/x, request 00000000000000000000000000000000)\n", failure]]);
  });

  it("an onError that throws does not break the request; both errors are printed", async () => {
    const printed: unknown[][] = [];
    vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void printed.push(args));
    const { app } = await inlineApp([(event) => event.respondWith(Promise.reject(new Error("app")))], {
      onError: () => {
        throw new Error("reporter");
      },
    });
    await expectRuntime500(await app.fetch("/"));
    expect(printed).toHaveLength(2);
    expect(String(printed[0]![0])).toMatch(/^Error while running request handler:/);
    expect(printed[0]![1]).toEqual(new Error("app"));
    expect(String(printed[1]![0])).toMatch(/^loadApp\(\{ onError \}\) threw while reporting the error above/);
    expect(printed[1]![1]).toEqual(new Error("reporter"));
  });
});
