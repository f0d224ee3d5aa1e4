/**
 * edge-kv/host is web-standard: in a real browser an app loads (its addEventListener captured
 * without touching Window.prototype's), answers requests, and stores work. The request scope covers
 * the listener call only (no AsyncLocalStorage in browsers).
 */
import { expect, it } from "vitest";
import { KVStore, resetRegistry } from "edge-kv";
import { currentRequest, loadApp, requestScopeSurvivesAwait, type FetchEvent } from "edge-kv/host";

it("loads and runs an app in the browser, leaving window.addEventListener as it was", async () => {
  resetRegistry().defineStore("data");
  const before = Object.getOwnPropertyDescriptor(window, "addEventListener");
  const seen: unknown[] = [];
  const app = await loadApp(() =>
    (window as unknown as { addEventListener(type: string, listener: (event: FetchEvent) => void): void }).addEventListener("fetch", (event) => {
      seen.push(currentRequest()?.requestId);
      event.respondWith(
        (async () => {
          await new KVStore("data").put("k", event.client.address ?? "none");
          seen.push(currentRequest()?.requestId);
          return new Response(await (await new KVStore("data").get("k"))!.text());
        })(),
      );
    }),
  );
  expect(Object.getOwnPropertyDescriptor(window, "addEventListener")).toEqual(before);
  expect(await (await app.fetch("/")).text()).toBe("127.0.0.1");
  expect(seen).toEqual(["00000000000000000000000000000000", undefined]);
  expect(requestScopeSurvivesAwait()).toBe(false);

  let clicked = false;
  window.addEventListener("edge-kv-test", () => (clicked = true));
  window.dispatchEvent(new Event("edge-kv-test"));
  expect(clicked).toBe(true);
});
