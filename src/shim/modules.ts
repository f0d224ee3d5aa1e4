/**
 * The `fastly:*` modules edge-kv provides, with the file that serves each (next to this one) and exactly
 * the names the Compute runtime's module exports. Web-standard (plain data).
 */
export const PROVIDED_MODULES = {
  "fastly:kv-store": { file: "fastly-kv-store", exports: ["KVStore"] },
  "fastly:config-store": { file: "fastly-config-store", exports: ["ConfigStore"] },
  "fastly:dictionary": { file: "fastly-dictionary", exports: ["Dictionary"] },
  "fastly:secret-store": { file: "fastly-secret-store", exports: ["SecretStore", "SecretStoreEntry"] },
  "fastly:env": { file: "fastly-env", exports: ["env"] },
  "fastly:experimental": {
    file: "fastly-experimental",
    exports: [
      "includeBytes",
      "enableDebugLogging",
      "setBaseURL",
      "setDefaultBackend",
      "allowDynamicBackends",
      "sdkVersion",
      "mapAndLogError",
      "mapError",
      "setReusableSandboxOptions",
    ],
  },
} as const satisfies Record<string, { file: string; exports: readonly string[] }>;

export type ProvidedModule = keyof typeof PROVIDED_MODULES;

export function isProvidedModule(id: string): id is ProvidedModule {
  return Object.hasOwn(PROVIDED_MODULES, id);
}

/** "fastly:kv-store", "fastly:config-store", ... and "fastly:env", for messages. */
export function providedModuleList(): string {
  const names = Object.keys(PROVIDED_MODULES).map((name) => `"${name}"`);
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}
