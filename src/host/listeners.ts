/**
 * Captures the `fetch` listeners an app registers while its module evaluates.
 *
 * A Compute app calls the global `addEventListener("fetch", listener)` at its top level. While one
 * app loads, globalThis.addEventListener is the runtime's function (same checks and messages); the
 * property the test runner had — none in Node, window's under happy-dom or in a browser — is put
 * back exactly (same descriptor, never assigned through a setter) as soon as evaluation ends, so
 * nothing leaks. Loads are serialised process-wide, so two apps loading at once never share a
 * capture.
 */
import type { FetchListener } from "./fetch-event.js";
import { HostMessages, Messages } from "./messages.js";


const LOAD_QUEUE = Symbol.for("edge-kv.host.load-queue");
const holder = globalThis as { [LOAD_QUEUE]?: Promise<void> };

/**
 * The runtime's addEventListener: at least 2 arguments (TypeError), the type ToString'd and accepted
 * when it is a prefix of "fetch" (the runtime compares with strncmp over the given length), the
 * listener a function. The runtime prints the last two failures and exits; here they throw Error, so
 * the module's evaluation (and loadApp) fails with the same text.
 */
function checkedListener(count: number, type: unknown, listener: unknown): FetchListener {
  if (count < 2) throw new TypeError(Messages.notEnoughArguments("addEventListener", 2, count));
  const name = `${type as string}`;
  if (!"fetch".startsWith(name)) throw new Error(HostMessages.onlyFetchEvent(name));
  if (typeof listener !== "function") throw new Error(HostMessages.listenerNotFunction);
  return listener as FetchListener;
}

function capturingAddEventListener(listeners: FetchListener[]) {
  return function addEventListener(type: unknown, listener: unknown): void {
    listeners.push(checkedListener(arguments.length, type, listener));
  };
}

/**
 * For a process that runs only apps (`edge-kv dev`): a global addEventListener that keeps working after
 * the app has loaded, as the runtime's does — with the runtime's checks, the listener joins the app
 * `appOf()` names (the app whose request runs, else the one being served) and is called for the requests
 * that follow. Only installed where globalThis has no addEventListener of its own. Returns the function
 * that removes it.
 */
export function installLateAddEventListener(appOf: () => { addListener(listener: FetchListener): void } | undefined): () => void {
  const global = globalThis as Record<string, unknown>;
  if ("addEventListener" in global) return () => {};
  function addEventListener(type: unknown, listener: unknown): void {
    const checked = checkedListener(arguments.length, type, listener);
    appOf()?.addListener(checked);
  }
  Object.defineProperty(global, "addEventListener", { value: addEventListener, writable: true, enumerable: false, configurable: true });
  return () => {
    if (global.addEventListener === addEventListener) delete global.addEventListener;
  };
}

/** Evaluates an app module with addEventListener captured; resolves its listeners and the module. */
export async function captureListeners(evaluate: () => Promise<unknown>): Promise<{ listeners: FetchListener[]; module: unknown }> {
  const previous = holder[LOAD_QUEUE] ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  holder[LOAD_QUEUE] = previous.then(() => mine);
  await previous;
  const listeners: FetchListener[] = [];
  const global = globalThis as Record<string, unknown>;
  const own = Object.getOwnPropertyDescriptor(global, "addEventListener");
  Object.defineProperty(global, "addEventListener", {
    value: capturingAddEventListener(listeners),
    writable: true,
    enumerable: false,
    configurable: true,
  });
  try {
    const module = await evaluate();
    return { listeners, module };
  } finally {
    if (own) Object.defineProperty(global, "addEventListener", own);
    else delete global.addEventListener;
    release();
  }
}
