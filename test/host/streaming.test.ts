/**
 * A response body the app writes as a stream keeps its event active until it is written, as on Compute
 * (compute-app-host.md §1.1, §1.3: the runtime's `responseStreaming` state): waitUntil works while it
 * streams, settled() waits for it, and the stream runs as part of its request.
 */
import { expect, it } from "vitest";
import { HostMessages, currentRequest, type FetchEvent } from "edge-kv/host";
import { deferred, inlineApp, tick } from "./helpers.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** An app that answers with a TransformStream's readable and writes it after respondWith, step by step. */
async function streamingApp() {
  const steps = { first: deferred(), last: deferred() };
  const waited = deferred();
  const log: string[] = [];
  const { app, reported } = await inlineApp([
    (event: FetchEvent) => {
      const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
      event.respondWith(new Response(readable, { headers: { "content-type": "text/plain" } }));
      void (async () => {
        const writer = writable.getWriter();
        await steps.first.promise;
        await writer.write(bytes("first "));
        try {
          event.waitUntil(waited.promise.then(() => log.push("waitUntil done")));
          log.push("waitUntil accepted while streaming");
        } catch (error) {
          log.push(`waitUntil refused: ${(error as Error).message}`);
        }
        await steps.last.promise;
        await writer.write(bytes("last"));
        await writer.close();
        log.push("closed");
      })();
    },
  ]);
  return { app, reported, steps, waited, log };
}

it("waitUntil called while the body streams is accepted, and settled() waits for it and for the end of the body", async () => {
  const { app, reported, steps, waited, log } = await streamingApp();
  const response = await app.fetch("/");
  let settled = false;
  void app.settled().then(() => (settled = true));
  steps.first.resolve();
  await tick();
  expect(log).toEqual(["waitUntil accepted while streaming"]);
  steps.last.resolve();
  expect(await response.text()).toBe("first last");
  await tick();
  expect([settled, log]).toEqual([false, ["waitUntil accepted while streaming", "closed"]]);
  waited.resolve();
  await app.settled();
  expect(log).toEqual(["waitUntil accepted while streaming", "closed", "waitUntil done"]);
  expect([response.status, response.headers.get("content-type")]).toEqual([200, "text/plain"]);
  expect(reported).toEqual([]);
});

it("settled() waits for a streamed body the test never reads (it is written ahead, as the runtime sends it)", async () => {
  const { app, steps, waited, log } = await streamingApp();
  await app.fetch("/");
  steps.first.resolve();
  steps.last.resolve();
  waited.resolve();
  await app.settled();
  expect([...log].sort()).toEqual(["closed", "waitUntil accepted while streaming", "waitUntil done"]);
});

it("once the streamed body is written and nothing is pending, the event is inactive again", async () => {
  let event!: FetchEvent;
  const { app } = await inlineApp([
    (e) => {
      event = e;
      e.respondWith(new Response(new ReadableStream({ start: (controller) => (controller.enqueue(bytes("x")), controller.close()) })));
    },
  ]);
  expect(await (await app.fetch("/")).text()).toBe("x");
  await app.settled();
  expect(() => event.waitUntil(Promise.resolve())).toThrow(new Error(HostMessages.waitUntilInactive));
});

it("a body given as a string or bytes does not stream: waitUntil after the response is refused, as on Compute", async () => {
  let event!: FetchEvent;
  const { app } = await inlineApp([
    (e) => {
      event = e;
      e.respondWith(new Response("static"));
    },
  ]);
  const response = await app.fetch("/");
  await tick();
  expect(() => event.waitUntil(Promise.resolve())).toThrow(new Error(HostMessages.waitUntilInactive));
  expect(await response.text()).toBe("static");
});

it("the app's stream is pulled as part of its request (currentRequest() inside pull), even when the test reads it", async () => {
  const seen: unknown[] = [];
  let count = 0;
  const { app } = await inlineApp([
    (event) =>
      event.respondWith(
        new Response(
          new ReadableStream<Uint8Array>(
            {
              pull: async (controller) => {
                await null;
                seen.push(currentRequest()?.requestId);
                if (++count > 2) controller.close();
                else controller.enqueue(bytes(String(count)));
              },
            },
            { highWaterMark: 0 },
          ),
        ),
      ),
  ]);
  expect(await (await app.fetch("/")).text()).toBe("12");
  expect(seen).toEqual(Array(3).fill("00000000000000000000000000000000"));
});

it("a reader that cancels the body cancels the app's stream with its reason; the request then ends", async () => {
  const cancelled = deferred<unknown>();
  const { app } = await inlineApp([
    (event) =>
      event.respondWith(
        new Response(
          new ReadableStream<Uint8Array>({
            pull: (controller) => controller.enqueue(bytes("more")),
            cancel: (reason) => cancelled.resolve(reason),
          }),
        ),
      ),
  ]);
  const response = await app.fetch("/");
  const reader = response.body!.getReader();
  expect(new TextDecoder().decode((await reader.read()).value)).toBe("more");
  await reader.cancel("enough");
  expect(await cancelled.promise).toBe("enough");
  await app.settled();
});

it("a stream the app fails ends the request; the reader gets the app's error", async () => {
  const { app, reported } = await inlineApp([
    (event) =>
      event.respondWith(
        new Response(
          new ReadableStream<Uint8Array>({
            start: (controller) => controller.enqueue(bytes("part")),
            pull: (controller) => controller.error(new Error("disk on fire")),
          }),
        ),
      ),
  ]);
  const response = await app.fetch("/");
  await expect(response.text()).rejects.toThrow("disk on fire");
  await app.settled();
  expect(reported).toEqual([]);
});
