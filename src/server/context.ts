/**
 * What every dialect handler receives: the catalog over the registry, the server's limits and token,
 * and the translation of store failures (KVError, LimitExceededError, EdgeKvError) into RestErrors.
 */
import { LimitExceededError } from "../core.js";
import { EdgeKvError, KVError } from "../errors.js";
import { keyError } from "../rules.js";
import type { StoreCatalog, StoreInfo } from "./catalog.js";
import { RestError } from "./http.js";

export interface ServerLimits {
  /** Largest Fastly item value accepted over REST, in bytes. */
  maxValueBytes: number;
  /** Largest Fastly batch body, in bytes. */
  maxBatchBytes: number;
  /** Largest Apify record, in bytes. */
  maxApifyRecordBytes: number;
  /** Largest Telnyx value, in bytes. */
  maxTelnyxValueBytes: number;
}

export interface DialectContext {
  catalog: StoreCatalog;
  limits: ServerLimits;
  /** The required token, or undefined to accept any (or none). */
  token: string | undefined;
}

/** Checks a key against the fastly:kv-store key rules; every dialect's keys must satisfy them too. */
export function checkStoreKey(key: string): void {
  const problem = keyError(key);
  if (problem) throw new RestError(400, `invalid key ${JSON.stringify(key)}: ${problem}`, { code: "invalid-key" });
}

/** Translates a failure from the admin API / core into a RestError; anything else is rethrown. */
export function storeFailure(error: unknown, context: DialectContext, info: StoreInfo, key?: string): unknown {
  const storeValueLimit = context.catalog.registry.lookup(info.name)?.settings.maxValueBytes ?? 0;
  const where = key === undefined ? `store '${info.name}'` : `key ${JSON.stringify(key)} in store '${info.name}'`;
  if (error instanceof LimitExceededError) {
    return new RestError(400, `${error.message} (${where}; the store allows ${error.limit} bytes — define it with maxMetadataBytes to change that)`, {
      code: "metadata-too-large",
    });
  }
  if (error instanceof KVError) {
    switch (error.code) {
      case "precondition-failed":
        return new RestError(412, `precondition failed for ${where}`, { code: "precondition-failed", emptyBody: true });
      case "not-found":
        return new RestError(404, `${where} does not exist`, { code: "not-found" });
      case "payload-too-large":
        return new RestError(413, `the value of ${where} would be larger than the store's limit of ${storeValueLimit} bytes`, { code: "payload-too-large" });
      case "bad-request":
        return new RestError(400, `bad request for ${where}: ${error.message}`, { code: "bad-request" });
      case "too-many-requests":
        return new RestError(429, `too many requests for ${where} (injected by a test hook)`, { code: "too-many-requests" });
      default:
        return new RestError(500, `internal error for ${where}: ${error.message}`, { code: "internal-error" });
    }
  }
  // The storage behind the store failed (Redis unreachable, slow or full): not the client's fault.
  if (error instanceof EdgeKvError && error.name === "RedisStoreError") {
    const full = (error as { kind?: string }).kind === "full";
    return new RestError(full ? 507 : 503, error.message, { code: full ? "storage-full" : "storage-unavailable" });
  }
  if (error instanceof EdgeKvError || error instanceof TypeError) return new RestError(400, error.message, { code: "bad-request" });
  return error;
}
