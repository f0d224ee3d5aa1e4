/**
 * What the REST server knows about stores beyond the registry: each dialect's id (Fastly 22-char,
 * Apify 17-char, Telnyx UUID), timestamps, Fastly location, Apify counters and Telnyx status.
 * The registry stays the one source of which stores exist and what they hold; the catalog follows it
 * (a store defined elsewhere gets ids on first sight; one removed elsewhere disappears). With a
 * state file, the catalog is written there after every change and read back on start, so ids and
 * REST-created stores survive a restart of a folder-backed server.
 */
import { createHash, randomInt, randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { EdgeKvError } from "../errors.js";
import type { KVRegistry, StoreOptions } from "../registry.js";
import type { StoreAdmin } from "../admin.js";
import type { KVDriver } from "../drivers/driver.js";
import { RestError } from "./http.js";

export interface ApifyInfo {
  /** null for stores created unnamed over the Apify API (the registry name is then the id). */
  name: string | null;
  title: string | null;
  generalAccess: string;
  accessedAt: number;
  modifiedAt: number;
  stats: { readCount: number; writeCount: number; deleteCount: number; listCount: number };
}

export interface StoreInfo {
  /** The registry name: what `new KVStore(name)` opens. */
  name: string;
  /** The name the store's driver was created under (differs from `name` after a rename). */
  dataName: string;
  fastlyId: string;
  apifyId: string;
  telnyxId: string;
  createdAt: number;
  updatedAt: number;
  location: string | null;
  apify: ApifyInfo;
  /** Created over REST: re-defined from the state file on start. */
  createdOverRest: boolean;
  maxMetadataBytes: number | null;
}

const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomId(alphabet: string, length: number): string {
  let id = "";
  for (let i = 0; i < length; i++) id += alphabet[randomInt(alphabet.length)];
  return id;
}

/** A store's ids in each dialect. */
export type StoreIds = Pick<StoreInfo, "fastlyId" | "apifyId" | "telnyxId">;

/**
 * Ids derived from the store's name (SHA-256), the same in every process: servers sharing one set
 * of stores (several `edge-kv serve --redis` behind a load balancer) then give a store the same ids.
 */
export function nameBasedIds(name: string): StoreIds {
  const hash = createHash("sha256").update(`edge-kv store ${name}`, "utf8").digest();
  const pick = (alphabet: string, length: number, offset: number) => {
    let id = "";
    for (let i = 0; i < length; i++) id += alphabet[hash[offset + i]! % alphabet.length];
    return id;
  };
  const hex = hash.subarray(0, 16).toString("hex");
  const variant = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return {
    fastlyId: pick(LOWER_ALNUM, 22, 0),
    apifyId: pick(ALNUM, 17, 10),
    telnyxId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
  };
}

export class StoreCatalog {
  readonly registry: KVRegistry;
  readonly #byName = new Map<string, StoreInfo>();
  /** Id → info per dialect; entries of removed stores are dropped when found stale. */
  readonly #ids = { fastlyId: new Map<string, StoreInfo>(), apifyId: new Map<string, StoreInfo>(), telnyxId: new Map<string, StoreInfo>() };
  readonly #stateFile: string | undefined;
  readonly #restStoreOptions: StoreOptions;

  readonly #createDriver: ((dataName: string) => KVDriver) | undefined;
  readonly #idsFor: ((name: string) => StoreIds) | undefined;
  /** State-file entries of stores not defined (yet): their ids come back when they are. */
  readonly #dormant = new Map<string, StoreInfo>();

  /**
   * `createDriver` re-opens a renamed store's data on start (the driver was created under its old
   * name); give it the same factory as the registry's.
   */
  constructor(
    registry: KVRegistry,
    options: { stateFile?: string | undefined; restStoreOptions: StoreOptions; createDriver?: ((dataName: string) => KVDriver) | undefined; idsFor?: ((name: string) => StoreIds) | undefined },
  ) {
    this.registry = registry;
    this.#idsFor = options.idsFor;
    this.#createDriver = options.createDriver;
    this.#stateFile = options.stateFile;
    this.#restStoreOptions = options.restStoreOptions;
    if (this.#stateFile) this.#load(this.#stateFile);
  }

  now(): number {
    return this.registry.clock.now();
  }

  /** Every store of the registry, with its info (created on first sight), in registry order. */
  all(): StoreInfo[] {
    let changed = false;
    const names = new Set(this.registry.storeNames());
    for (const name of this.#byName.keys()) {
      if (!names.has(name)) {
        this.#byName.delete(name);
        changed = true;
      }
    }
    const out: StoreInfo[] = [];
    for (const name of names) {
      let info = this.#byName.get(name);
      if (!info) {
        // A store the state file knew but that was not defined yet at start keeps its ids.
        info = this.#dormant.get(name) ?? this.#newInfo(name, false, null);
        this.#dormant.delete(name);
        this.#remember(info);
        changed = true;
      }
      out.push(info);
    }
    if (changed) this.save();
    return out;
  }

  byName(name: string): StoreInfo | undefined {
    if (!this.registry.hasStore(name)) return undefined;
    return this.#byName.get(name) ?? this.all().find((info) => info.name === name);
  }

  /** The store with this id in one dialect's id space (`fastlyId`, `apifyId` or `telnyxId`). */
  byId(space: "fastlyId" | "apifyId" | "telnyxId", id: string): StoreInfo | undefined {
    const index = this.#ids[space];
    let info = index.get(id);
    if (info === undefined || this.#byName.get(info.name) !== info || !this.registry.hasStore(info.name)) {
      this.all();
      info = index.get(id);
      if (info !== undefined && this.#byName.get(info.name) !== info) info = undefined;
    }
    return info;
  }

  find(match: (info: StoreInfo) => boolean): StoreInfo | undefined {
    for (const info of this.#byName.values()) if (match(info) && this.registry.hasStore(info.name)) return info;
    return this.all().find(match);
  }

  admin(info: StoreInfo): StoreAdmin {
    return this.registry.store(info.name);
  }

  /** Defines a new store in the registry (409 when the name is taken) and records it. */
  create(name: string, options: { location?: string | null; apifyName?: string | null } = {}): StoreInfo {
    if (this.registry.hasStore(name)) throw new RestError(409, `a store named '${name}' already exists; pick another name or use the existing store`, { code: "conflict" });
    this.registry.defineStore(name, this.#restStoreOptions);
    const info = this.#newInfo(name, true, options.location ?? null);
    info.apify.name = options.apifyName === undefined ? name : options.apifyName;
    this.#remember(info);
    this.save();
    return info;
  }

  /** Store names whose data another (renamed) store uses: not to be defined under their old name. */
  dataNamesInUse(): Set<string> {
    const names = new Set<string>();
    for (const info of this.#byName.values()) if (info.dataName !== info.name) names.add(info.dataName);
    return names;
  }

  /** Removes the store and its data from the registry. */
  async remove(info: StoreInfo): Promise<void> {
    this.#byName.delete(info.name);
    if (this.registry.hasStore(info.name)) await this.registry.removeStore(info.name);
    this.save();
  }

  /**
   * Renames a store: the registry name changes, so `new KVStore(newName)` opens it afterwards. The
   * driver (and a folder-backed store's folder) stays the one created under the old name: `dataName`.
   */
  rename(info: StoreInfo, newName: string): void {
    if (newName === info.name) return;
    if (this.registry.hasStore(newName)) throw new RestError(409, `a store named '${newName}' already exists; pick another name`, { code: "conflict" });
    this.registry.renameStore(info.name, newName);
    this.#byName.delete(info.name);
    if (info.apify.name === info.name) info.apify.name = newName;
    info.name = newName;
    info.updatedAt = this.now();
    this.#byName.set(newName, info);
    this.save();
  }

  touch(info: StoreInfo): void {
    info.updatedAt = this.now();
    this.save();
  }

  save(): void {
    if (!this.#stateFile) return;
    const state = { version: 1, stores: [...this.#byName.values(), ...this.#dormant.values()] };
    mkdirSync(dirname(this.#stateFile), { recursive: true });
    const temporary = `${this.#stateFile}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2));
    renameSync(temporary, this.#stateFile);
  }

  #load(file: string): void {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return;
      throw new EdgeKvError(`cannot read the REST server state file ${file}: ${(error as Error).message}`);
    }
    let state: { version?: number; stores?: StoreInfo[] };
    try {
      state = JSON.parse(text) as typeof state;
    } catch (error) {
      throw new EdgeKvError(`the REST server state file ${file} is not valid JSON (${(error as Error).message}); fix it or delete it (store ids will be re-assigned)`);
    }
    if (state.version !== 1 || !Array.isArray(state.stores)) {
      throw new EdgeKvError(`the REST server state file ${file} is not an edge-kv state file (expected {"version":1,"stores":[...]}); delete it to start afresh`);
    }
    for (const info of state.stores) {
      if (!this.registry.hasStore(info.name)) {
        info.dataName ??= info.name;
        const renamed = info.dataName !== info.name;
        if ((!info.createdOverRest && !renamed) || (renamed && !this.#createDriver)) {
          this.#dormant.set(info.name, info);
          continue;
        }
        this.registry.defineStore(info.name, {
          ...(info.maxMetadataBytes !== null && { ...this.#restStoreOptions, maxMetadataBytes: info.maxMetadataBytes }),
          ...(renamed && { driver: this.#createDriver!(info.dataName) }),
        });
      }
      this.#remember(info);
    }
  }

  #remember(info: StoreInfo): void {
    this.#byName.set(info.name, info);
    this.#ids.fastlyId.set(info.fastlyId, info);
    this.#ids.apifyId.set(info.apifyId, info);
    this.#ids.telnyxId.set(info.telnyxId, info);
  }

  #newInfo(name: string, createdOverRest: boolean, location: string | null): StoreInfo {
    const now = this.now();
    return {
      name,
      dataName: name,
      ...(this.#idsFor?.(name) ?? { fastlyId: randomId(LOWER_ALNUM, 22), apifyId: randomId(ALNUM, 17), telnyxId: randomUUID() }),
      createdAt: now,
      updatedAt: now,
      location,
      apify: {
        name,
        title: null,
        generalAccess: "FOLLOW_USER_SETTING",
        accessedAt: now,
        modifiedAt: now,
        stats: { readCount: 0, writeCount: 0, deleteCount: 0, listCount: 0 },
      },
      createdOverRest,
      maxMetadataBytes: createdOverRest ? (this.#restStoreOptions.maxMetadataBytes ?? null) : null,
    };
  }
}
