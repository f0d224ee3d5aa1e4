/** The module the edgeKv() plugin serves to its Vitest setup file: the stores' configuration as data. */
declare module "virtual:edge-kv/config" {
  const config: import("../testing/current.js").ConfiguredKv;
  export default config;
}
/** fastly:* module namespaces for native imports (node-bridge.ts). */
declare module "virtual:edge-kv/modules" {
  export const namespaces: Record<string, Record<string, unknown>>;
  export const unmapped: string;
}
