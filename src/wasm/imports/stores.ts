/**
 * `fastly_config_store`, `fastly_dictionary` and `fastly_secret_store`, after Viceroy's
 * `src/wiggle_abi/{config_store,dictionary_impl,secret_store_impl}.rs` (274febd): config stores and
 * dictionaries are one table (unknown name → BADF, missing key → NONE); secret stores answer NONE for
 * an unknown store or secret, BADF for a bad handle.
 */
import { Status } from "../abi.js";
import type { Sandbox } from "../sandbox.js";
import type { HostModule } from "./wrap.js";

function configFunctions(sb: Sandbox, kind: "config" | "dictionary"): HostModule {
  return {
    open(namePtr: number, nameLen: number, handleOut: number) {
      const name = sb.memory.utf8Strict(namePtr, nameLen);
      if (name === null) return Status.INVAL;
      const exists = sb.call<boolean>({ t: "config-open", id: sb.nextId(), kind, store: name }, `config store '${name}' to open`);
      if (!exists) return Status.BADF;
      sb.memory.setU32(handleOut, sb.insert({ kind: "config-store", name }));
      return Status.OK;
    },
    get(h: number, keyPtr: number, keyLen: number, buf: number, bufLen: number, nwrittenOut: number) {
      const store = sb.entry(h, "config-store");
      if (!store) return Status.BADF;
      const key = sb.memory.utf8Strict(keyPtr, keyLen);
      if (key === null) return Status.INVAL;
      const value = sb.call<Uint8Array | null>({ t: "config-get", id: sb.nextId(), store: store.name, key }, `config store '${store.name}' to answer`);
      if (value === null) return Status.NONE;
      return sb.memory.writeOut(value, buf, bufLen, nwrittenOut);
    },
  };
}

export const configStoreFunctions = (sb: Sandbox): HostModule => configFunctions(sb, "config");
export const dictionaryFunctions = (sb: Sandbox): HostModule => configFunctions(sb, "dictionary");

export function secretStoreFunctions(sb: Sandbox): HostModule {
  return {
    open(namePtr: number, nameLen: number, handleOut: number) {
      const name = sb.memory.utf8Strict(namePtr, nameLen);
      if (name === null) return Status.INVAL;
      const exists = sb.call<boolean>({ t: "secret-open", id: sb.nextId(), store: name }, `secret store '${name}' to open`);
      if (!exists) return Status.NONE;
      sb.memory.setU32(handleOut, sb.insert({ kind: "secret-store", name }));
      return Status.OK;
    },
    get(h: number, keyPtr: number, keyLen: number, secretOut: number) {
      const store = sb.entry(h, "secret-store");
      if (!store) return Status.BADF;
      const key = sb.memory.utf8Strict(keyPtr, keyLen);
      if (key === null) return Status.INVAL;
      const bytes = sb.call<Uint8Array | null>({ t: "secret-get", id: sb.nextId(), store: store.name, key }, `secret store '${store.name}' to answer`);
      if (bytes === null) return Status.NONE;
      sb.memory.setU32(secretOut, sb.insert({ kind: "secret", bytes }));
      return Status.OK;
    },
    plaintext(h: number, buf: number, bufLen: number, nwrittenOut: number) {
      const secret = sb.entry(h, "secret");
      if (!secret) return Status.BADF;
      return sb.memory.writeOut(secret.bytes, buf, bufLen, nwrittenOut);
    },
    from_bytes(buf: number, len: number, secretOut: number) {
      sb.memory.setU32(secretOut, sb.insert({ kind: "secret", bytes: sb.memory.bytes(buf, len) }));
      return Status.OK;
    },
  };
}
