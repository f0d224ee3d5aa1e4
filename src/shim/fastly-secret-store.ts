/**
 * `fastly:secret-store` as the Compute runtime's module exports it: `SecretStore` and `SecretStoreEntry`,
 * on the secret stores of edge-kv's active registry.
 */
export { SecretStore, SecretStoreEntry } from "../compute/secret-store.js";
