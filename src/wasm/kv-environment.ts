/**
 * The environment side of `fastly_kv_store`: each operation a guest starts runs on edge-kv's core
 * (the store the registry names), so guests, KVStore, the test helpers, the REST server and the
 * explorer see one set of stores. The store's profile decides where Compute and Viceroy differ
 * (delete of a missing key, `gen` on a missing key — the core applies those), as for KVStore.
 */
import { decodeCursor, encodeCursor } from "../admin.js";
import type { StoreCore } from "../core.js";
import { chain, type MaybePromise } from "../drivers/driver.js";
import { KVError } from "../errors.js";
import { KVLimits } from "../limits.js";
import { setOperationContextProvider, type OperationContextProvider } from "../observer.js";
import type { KVErrorCode } from "../messages.js";
import type { KVRegistry } from "../registry.js";
import { KvError, Status } from "./abi.js";
import type { KvOpenAnswer } from "./imports/kv.js";
import type { KvAnswer, KvOperation } from "./protocol.js";

const KV_ERROR_CODES: Record<KVErrorCode, number> = {
  "bad-request": KvError.BAD_REQUEST,
  "not-found": KvError.NOT_FOUND,
  "precondition-failed": KvError.PRECONDITION_FAILED,
  "payload-too-large": KvError.PAYLOAD_TOO_LARGE,
  "internal-error": KvError.INTERNAL_ERROR,
  "too-many-requests": KvError.TOO_MANY_REQUESTS,
};

let current: { requestId: string } | null = null;
let installed = false;

/**
 * Store operations a guest makes carry `{ requestId }` in registry.onOperation events, as the JS app
 * host's do. The core reads the context when an operation starts, which is within `kvOperation`.
 */
function installOperationContext(): void {
  if (installed) return;
  installed = true;
  let previous: OperationContextProvider | null = null;
  previous = setOperationContextProvider(() => current ?? previous?.() ?? undefined);
}

export function kvOpen(registry: KVRegistry, store: string): KvOpenAnswer {
  const core = registry.lookup(store);
  return { exists: core !== undefined, profile: core?.settings.profile ?? "production" };
}

/**
 * Runs `operation` on `store`; the answer is synchronous when the store's driver is. A failure that
 * is not a KVError (a driver's I/O error) is reported through `onFailure` and answered
 * internal-error, as a store fault would be on Compute.
 */
export function kvOperation(registry: KVRegistry, store: string, operation: KvOperation, requestId: string, onFailure: (error: unknown) => void): MaybePromise<KvAnswer> {
  const core = registry.lookup(store);
  if (!core) return { status: Status.BADF }; // the store was removed after the guest opened it
  installOperationContext();
  current = { requestId };
  try {
    const answer = run(core, operation);
    return answer instanceof Promise ? answer.catch((error: unknown) => failed(error, onFailure)) : answer;
  } catch (error) {
    return failed(error, onFailure);
  } finally {
    current = null;
  }
}

function failed(error: unknown, onFailure: (error: unknown) => void): KvAnswer {
  if (error instanceof KVError) return { kvError: KV_ERROR_CODES[error.code] };
  onFailure(error);
  return { kvError: KvError.INTERNAL_ERROR };
}

function run(core: StoreCore, operation: KvOperation): MaybePromise<KvAnswer> {
  const viceroy = core.settings.profile === "viceroy";
  switch (operation.op) {
    case "lookup":
      return chain(core.lookup(operation.key), (record): KvAnswer =>
        record === null
          ? { kvError: KvError.NOT_FOUND }
          : { kvError: KvError.OK, value: record.value, metadata: record.metadata, generation: record.generation },
      );
    case "insert": {
      const metadata = operation.metadata !== null && operation.metadata.byteLength > 0 ? operation.metadata : null;
      const write = core.write(operation.key, {
        value: operation.value,
        metadata,
        ttlSeconds: operation.ttlSeconds ?? undefined,
        mode: operation.mode,
        ifGenerationMatch: operation.ifGenerationMatch ?? undefined,
      });
      return chain(write, (): KvAnswer => ({ kvError: KvError.OK }));
    }
    case "delete":
      return chain(core.delete(operation.key), (deleted): KvAnswer => ({ kvError: deleted || viceroy ? KvError.OK : KvError.NOT_FOUND }));
    case "list": {
      const after = decodeCursor(operation.cursor ?? undefined);
      const limit = operation.limit ?? KVLimits.DEFAULT_LIST_LIMIT;
      const prefix = operation.prefix ?? undefined;
      return chain(core.list({ prefix, after, limit, eventual: operation.eventual }), (page): KvAnswer => {
        const data = page.items.map((item) => item.key);
        const meta: { limit: number; prefix?: string; next_cursor?: string } = { limit };
        if (operation.prefix !== null) meta.prefix = operation.prefix;
        if (page.more && data.length > 0) meta.next_cursor = encodeCursor(data[data.length - 1]!);
        return { kvError: KvError.OK, body: new TextEncoder().encode(JSON.stringify({ data, meta })) };
      });
    }
  }
}
