/**
 * `fastly_kv_store`, after Viceroy's `src/wiggle_abi/kv_store_impl.rs` (274febd). Each operation is
 * sent to the environment when the guest starts it (so operations apply in call order, as Viceroy's
 * eager futures do) and yields a pending handle; the `*_wait` calls take the handle, block until the
 * answer is there and report it as a `$kv_error`. Key and argument checks that Viceroy answers with a
 * host status (INVAL) happen here, before anything is sent.
 */
import { KV_INSERT_MODES, KvError, KvInsertFlag, KvListFlag, Status } from "../abi.js";
import { Body } from "../body.js";
import { concatBytes } from "../../bytes.js";
import { keyError, viceroyRejectsKey } from "../../rules.js";
import type { KvAnswer, KvOperation } from "../protocol.js";
import type { Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

/** What kv-open answers: whether the store exists, and its behaviour profile. */
export interface KvOpenAnswer {
  exists: boolean;
  profile: "production" | "viceroy";
}

interface StoreHandle {
  name: string;
  profile: "production" | "viceroy";
}

export function kvFunctions(sb: Sandbox): HostModule {
  const stores = new Map<number, StoreHandle>();

  const storeOf = (h: number): StoreHandle | undefined => (sb.entry(h, "kv-store") ? stores.get(h >>> 0) : undefined);

  /** The key as text, or a status when Viceroy/Compute refuse it at the host call. */
  const keyOf = (store: StoreHandle, ptr: number, len: number): string | number => {
    const key = sb.memory.utf8Strict(ptr, len);
    if (key === null) return Status.INVAL;
    if (keyError(key) !== null || (store.profile === "viceroy" && viceroyRejectsKey(key))) return Status.INVAL;
    return key;
  };

  const start = (store: StoreHandle, operation: KvOperation, handleOut: number): number => {
    const id = sb.nextId();
    const pending = sb.request<KvAnswer>({ t: "kv", id, store: store.name, operation }, `KV ${operation.op} on store '${store.name}'`);
    sb.memory.setU32(handleOut, sb.insert({ kind: "kv-pending", op: operation.op, pending }));
    return Status.OK;
  };

  /** Takes the pending handle of `op` and waits for its answer (undefined: bad handle). */
  const finish = (h: number, op: KvOperation["op"]): KvAnswer | undefined => {
    const entry = sb.entry(h, "kv-pending");
    if (!entry || entry.op !== op) return undefined;
    sb.remove(h);
    const pending = entry.pending;
    sb.waitUntil(() => pending.settled, null, pending.what);
    return pending.value as KvAnswer;
  };

  const lookupWait = (h: number, bodyOut: number, metaBuf: number, metaBufLen: number, nwrittenOut: number, genOut: number, kvErrorOut: number, wide: boolean) => {
    const answer = finish(h, "lookup");
    if (answer === undefined) return Status.BADF;
    if ("status" in answer) return answer.status;
    if (answer.kvError !== KvError.OK) {
      sb.memory.setU32(kvErrorOut, answer.kvError);
      return Status.OK;
    }
    sb.memory.setU32(bodyOut, sb.insert({ kind: "body", body: bodyFrom(answer.value!) }));
    const metadata = answer.metadata ?? null;
    const length = metadata === null ? 0 : metadata.byteLength;
    sb.memory.setU32(nwrittenOut, length);
    if (length > metaBufLen >>> 0) return Status.BUFLEN;
    if (metadata !== null) sb.memory.write(metaBuf, metadata);
    if (wide) sb.memory.setU64(genOut, answer.generation ?? 0);
    else sb.memory.setU32(genOut, 0); // lookup_wait (v1) reports generation 0, as Viceroy does
    sb.memory.setU32(kvErrorOut, KvError.OK);
    return Status.OK;
  };

  return {
    open(namePtr: number, nameLen: number, handleOut: number) {
      const name = sb.memory.utf8Strict(namePtr, nameLen);
      if (name === null) return Status.INVAL;
      const answer = sb.call<KvOpenAnswer>({ t: "kv-open", id: sb.nextId(), store: name }, `KV store '${name}' to open`);
      if (!answer.exists) return Status.INVAL; // Viceroy: UnknownObjectStore → INVAL
      const handle = sb.insert({ kind: "kv-store", name });
      stores.set(handle, { name, profile: answer.profile });
      sb.memory.setU32(handleOut, handle);
      return Status.OK;
    },

    lookup(h: number, keyPtr: number, keyLen: number, _mask: number, _config: number, handleOut: number) {
      const store = storeOf(h);
      if (!store) return Status.BADF;
      const key = keyOf(store, keyPtr, keyLen);
      if (typeof key === "number") return key;
      return start(store, { op: "lookup", key }, handleOut);
    },
    lookup_wait(h: number, bodyOut: number, metaBuf: number, metaBufLen: number, nwrittenOut: number, genOut: number, kvErrorOut: number) {
      return lookupWait(h, bodyOut, metaBuf, metaBufLen, nwrittenOut, genOut, kvErrorOut, false);
    },
    lookup_wait_v2(h: number, bodyOut: number, metaBuf: number, metaBufLen: number, nwrittenOut: number, genOut: number, kvErrorOut: number) {
      return lookupWait(h, bodyOut, metaBuf, metaBufLen, nwrittenOut, genOut, kvErrorOut, true);
    },

    insert(h: number, keyPtr: number, keyLen: number, bodyHandle: number, mask: number, config: number, handleOut: number) {
      const store = storeOf(h);
      if (!store) return Status.BADF;
      const key = keyOf(store, keyPtr, keyLen);
      if (typeof key === "number") return key;
      const body = sb.entry(bodyHandle, "body");
      if (!body) return Status.BADF;
      // struct kv_insert_config: mode u32 @0, unused u32 @4, metadata ptr @8, metadata_len u32 @12,
      // time_to_live_sec u32 @16, if_generation_match u64 @24.
      const modeIndex = sb.memory.u32(config);
      const mode = KV_INSERT_MODES[modeIndex];
      if (mode === undefined) return Status.INVAL; // not a $kv_insert_mode
      let metadata: Uint8Array | null = null;
      if (mask & KvInsertFlag.METADATA) {
        const length = sb.memory.u32(config + 12);
        if (length === 0 && store.profile === "viceroy") return Status.INVAL;
        metadata = sb.memory.bytes(sb.memory.u32(config + 8), length);
        if (store.profile === "viceroy" && sb.memory.utf8Strict(sb.memory.u32(config + 8), length) === null) return Status.INVAL;
      }
      const ttlSeconds = mask & KvInsertFlag.TTL ? sb.memory.u32(config + 16) : null;
      const ifGenerationMatch = mask & KvInsertFlag.IF_GENERATION_MATCH ? Number(sb.memory.u64(config + 24)) : null;
      sb.remove(bodyHandle);
      const value = readWhole(sb, body.body);
      return start(store, { op: "insert", key, value, mode, metadata, ttlSeconds, ifGenerationMatch }, handleOut);
    },
    insert_wait(h: number, kvErrorOut: number) {
      const answer = finish(h, "insert");
      if (answer === undefined) return Status.BADF;
      if ("status" in answer) return answer.status;
      sb.memory.setU32(kvErrorOut, answer.kvError);
      return Status.OK;
    },

    delete(h: number, keyPtr: number, keyLen: number, _mask: number, _config: number, handleOut: number) {
      const store = storeOf(h);
      if (!store) return Status.BADF;
      const key = keyOf(store, keyPtr, keyLen);
      if (typeof key === "number") return key;
      return start(store, { op: "delete", key }, handleOut);
    },
    delete_wait(h: number, kvErrorOut: number) {
      const answer = finish(h, "delete");
      if (answer === undefined) return Status.BADF;
      if ("status" in answer) return answer.status;
      sb.memory.setU32(kvErrorOut, answer.kvError);
      return Status.OK;
    },

    list(h: number, mask: number, config: number, handleOut: number) {
      const store = storeOf(h);
      if (!store) return Status.BADF;
      // struct kv_list_config: mode u32 @0, cursor ptr @4, cursor_len u32 @8, limit u32 @12,
      // prefix ptr @16, prefix_len u32 @20.
      const mode = sb.memory.u32(config);
      if (mode > 1) return Status.INVAL; // not a $kv_list_mode
      const text = (flag: number, ptrAt: number): string | null | number => {
        if (!(mask & flag)) return null;
        const length = sb.memory.u32(config + ptrAt + 4);
        if (length === 0) return store.profile === "viceroy" ? Status.INVAL : null;
        const value = sb.memory.utf8Strict(sb.memory.u32(config + ptrAt), length);
        return value === null ? Status.INVAL : value;
      };
      const cursor = text(KvListFlag.CURSOR, 4);
      if (typeof cursor === "number") return cursor;
      const prefix = text(KvListFlag.PREFIX, 16);
      if (typeof prefix === "number") return prefix;
      const limit = mask & KvListFlag.LIMIT ? sb.memory.u32(config + 12) : null;
      return start(store, { op: "list", cursor, limit, prefix, eventual: mode === 1 }, handleOut);
    },
    list_wait(h: number, bodyOut: number, kvErrorOut: number) {
      const answer = finish(h, "list");
      if (answer === undefined) return Status.BADF;
      if ("status" in answer) return answer.status;
      if (answer.kvError === KvError.OK) sb.memory.setU32(bodyOut, sb.insert({ kind: "body", body: bodyFrom(answer.body!) }));
      sb.memory.setU32(kvErrorOut, answer.kvError);
      return Status.OK;
    },
  };
}

function bodyFrom(bytes: Uint8Array): Body {
  return new Body([bytes]);
}

/** Every byte of `body`, waiting for bytes still arriving (Viceroy: `read_into_vec().await`). */
export function readWhole(sb: Sandbox, body: Body): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (;;) {
    const got = body.read(Number.MAX_SAFE_INTEGER);
    if (got === "wait") {
      sb.waitUntil(() => body.ready(), null, "a body to arrive");
      continue;
    }
    if (got.byteLength === 0) return concatBytes(chunks);
    chunks.push(got);
  }
}
