/**
 * `fastly:config-store` as the Compute runtime's module exports it: `ConfigStore`, reading the config
 * stores of edge-kv's active registry (fastly.toml [local_server.config_stores], defineConfigStore,
 * createTestKv({ configStores }), the plugins' options).
 */
export { ConfigStore } from "../compute/config-store.js";
