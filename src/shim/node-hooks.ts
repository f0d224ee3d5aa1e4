/**
 * Module-resolution hooks for Node (registered by edge-kv/register; they run on Node's loader
 * thread): the `fastly:*` modules edge-kv provides resolve to its modules, others to the files mapped
 * in EDGE_KV_MODULES (which may also replace a provided one), and an unmapped one fails with an error
 * naming it and the fix.
 */
import { pathToFileURL } from "node:url";
import { mappedModule } from "./config.js";

export interface HookData {
  /** URL of the module serving each fastly:* module edge-kv provides. */
  shimUrls: Record<string, string>;
  /** fastly:* name → module path (absolute, or relative to `root`). */
  modules: Record<string, string>;
  root: string;
}

interface ResolveContext {
  parentURL?: string;
  conditions?: string[];
  importAttributes?: Record<string, string>;
}
type NextResolve = (specifier: string, context?: ResolveContext) => Promise<{ url: string; format?: string | null; shortCircuit?: boolean }>;

let data: HookData | null = null;

export function initialize(initial: HookData): void {
  data = initial;
}

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve) {
  if (data === null || !specifier.startsWith("fastly:")) return next(specifier, context);
  // Through the rest of the chain, so loaders registered before (tsx...) still see the file.
  if (Object.hasOwn(data.shimUrls, specifier) && !Object.hasOwn(data.modules, specifier)) return next(data.shimUrls[specifier]!, context);
  const importer = context.parentURL?.startsWith("file:") ? new URL(context.parentURL).pathname : undefined;
  const target = mappedModule(
    specifier,
    data.modules,
    data.root,
    `set EDGE_KV_MODULES='{"$ID":"./path/to/your-module.js"}' when running node --import edge-kv/register`,
    importer,
  );
  return next(pathToFileURL(target).href, context);
}
