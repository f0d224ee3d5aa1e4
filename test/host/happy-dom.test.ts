// @vitest-environment happy-dom
/**
 * Under happy-dom, globalThis is a window with its own addEventListener (an accessor Vitest puts on
 * the global). Loading an app captures the app's fetch listeners without touching it: same
 * descriptor afterwards, window's own property untouched, DOM events still delivered.
 */
import { expect, it } from "vitest";
import { loadApp } from "edge-kv/host";

it("loads an app and leaves window.addEventListener and the global's descriptor exactly as they were", async () => {
  const global = globalThis as unknown as Window & typeof globalThis;
  const descriptorBefore = Object.getOwnPropertyDescriptor(globalThis, "addEventListener");
  const windowOwnBefore = Object.getOwnPropertyDescriptor(global.window, "addEventListener");
  const methodBefore = global.window.addEventListener;
  expect(typeof methodBefore).toBe("function");

  const app = await loadApp(new URL("./fixtures/counter-app.ts", import.meta.url));
  expect(await (await app.fetch("/")).text()).toMatch(/^instance \d+, request 1$/);

  expect(Object.getOwnPropertyDescriptor(globalThis, "addEventListener")).toEqual(descriptorBefore);
  expect(Object.getOwnPropertyDescriptor(global.window, "addEventListener")).toEqual(windowOwnBefore);
  expect(global.window.addEventListener).toBe(methodBefore);

  const received: string[] = [];
  addEventListener("ping", (event) => received.push(event.type));
  global.window.dispatchEvent(new Event("ping"));
  expect(received).toEqual(["ping"]);
});
