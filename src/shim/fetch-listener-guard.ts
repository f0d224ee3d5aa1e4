/**
 * Under `node --import edge-kv/register`, a Compute app written as a service worker
 * (`addEventListener("fetch", …)`, as Fastly's starter kits write it) would die on a bare
 * `ReferenceError: addEventListener is not defined`: Node has no such global, and nothing in a plain
 * Node process would send the app requests. register installs this stand-in instead: a fetch
 * listener fails with an error that says what to run (`edge-kv dev`, or `loadApp` from edge-kv/host);
 * any other event type is accepted and ignored (Node fires none of them), so libraries that
 * feature-detect `addEventListener` keep working. `loadApp` replaces the global while it evaluates an
 * app and puts this one back afterwards, so loading an app from a script under register still works.
 */
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { EdgeKvError } from "../errors.js";

/** The file (relative to `root` when inside it) of the first stack frame below `fn`, or undefined. */
function callerFile(fn: Function, root: string): string | undefined {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder, fn);
  const frame = (holder.stack ?? "").split("\n").find((line) => line.trimStart().startsWith("at "));
  const location = frame?.match(/\(?((?:file:\/\/|\/)[^()]*?):\d+:\d+\)?\s*$/)?.[1];
  if (location === undefined) return undefined;
  const path = location.startsWith("file://") ? fileURLToPath(location) : location;
  const inside = relative(root, path);
  return inside !== "" && !inside.startsWith("..") ? inside.split("\\").join("/") : path;
}

export function serviceWorkerMessage(file: string | undefined): string {
  const entry = file ?? "src/index.js";
  return (
    `${file ?? "the app"} calls addEventListener("fetch", ...): it is a Compute app written as a service worker, and node --import edge-kv/register ` +
    `only resolves the fastly:* modules, so nothing would send it requests. Serve it with: npx edge-kv dev ${entry} (http://127.0.0.1:7676), ` +
    `or load it in code with loadApp("./${entry}") from edge-kv/host`
  );
}

/** Installs the stand-in on globalThis unless something already defines addEventListener. */
export function installFetchListenerGuard(root: string): void {
  if ("addEventListener" in globalThis) return;
  const addEventListener = function addEventListener(type: unknown): void {
    if (`${type as string}` === "fetch") throw new EdgeKvError(serviceWorkerMessage(callerFile(addEventListener, root)));
  };
  Object.defineProperty(globalThis, "addEventListener", { value: addEventListener, writable: true, enumerable: false, configurable: true });
}
