/**
 * Lets code that Node loads natively import the `fastly:*` modules the Vitest plugin serves. Vitest
 * loads dependencies in node_modules with Node's own `import` (they are "externalized"), where
 * `import { KVStore } from "fastly:kv-store"` used to fail with "Received protocol 'fastly:'". The setup
 * file calls `bridgeFastlyModules(namespaces)` with the modules as Vite serves them to the tests;
 * Node's resolution is then extended (module.register, once per thread) so that a native `fastly:*`
 * import evaluates to a module re-exporting the same objects. No second copy of edge-kv is loaded.
 * A `fastly:*` module that nobody maps fails with the plugin's error naming it and the `modules` option.
 * Outside Node (Vitest browser mode) this does nothing. Web-standard: Node is reached through
 * `process.getBuiltinModule`.
 */
const NAMESPACES = Symbol.for("edge-kv.fastly-modules");
const REGISTERED = Symbol.for("edge-kv.fastly-modules.hook");

type Holder = { [NAMESPACES]?: Record<string, Record<string, unknown>>; [REGISTERED]?: boolean };

/** Runs on Node's loader thread; `data` = { modules: { id: export names }, unmapped: message with $ID }. */
const HOOKS = `
let data = { modules: {}, unmapped: "" };
export function initialize(initial) { data = initial; }
export async function resolve(specifier, context, next) {
  if (!specifier.startsWith("fastly:")) return next(specifier, context);
  if (!data.modules[specifier]) {
    const error = new Error(data.unmapped.replaceAll("$ID", specifier));
    error.name = "EdgeKvError";
    throw error;
  }
  return { url: specifier, shortCircuit: true };
}
export async function load(url, context, next) {
  if (!url.startsWith("fastly:")) return next(url, context);
  const id = JSON.stringify(url);
  const names = data.modules[url];
  const missing = JSON.stringify("edge-kv: " + url + " was imported by Node before the edgeKv() plugin's setup file ran");
  const lines = [
    "const m = globalThis[Symbol.for('edge-kv.fastly-modules')]?.[" + id + "];",
    "if (!m) { const error = new Error(" + missing + "); error.name = 'EdgeKvError'; throw error; }",
  ];
  for (const name of names) lines.push(name === "default" ? "export default m.default;" : "export const " + name + " = m[" + JSON.stringify(name) + "];");
  return { format: "module", shortCircuit: true, source: lines.join("\\n") };
}
`;

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Publishes `namespaces` (fastly:* id → module namespace) for native imports and registers the hook
 * (first call in a thread). `unmapped` is the error for any other fastly:* module, "$ID" standing for it.
 */
export function bridgeFastlyModules(namespaces: Record<string, Record<string, unknown>>, unmapped: string): void {
  const holder = globalThis as Holder;
  holder[NAMESPACES] = { ...namespaces };
  if (holder[REGISTERED]) return;
  const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule;
  if (typeof getBuiltin !== "function") return;
  const nodeModule = getBuiltin("node:module") as { register?: (specifier: string, options: { data: unknown }) => void } | undefined;
  if (typeof nodeModule?.register !== "function") return;
  const modules: Record<string, string[]> = {};
  for (const [id, namespace] of Object.entries(namespaces)) modules[id] = Object.keys(namespace).filter((name) => name === "default" || IDENTIFIER.test(name));
  nodeModule.register(`data:text/javascript,${encodeURIComponent(HOOKS)}`, { data: { modules, unmapped } });
  holder[REGISTERED] = true;
}
