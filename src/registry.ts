/**
 * Named stores on drivers. `new KVStore(name)` looks names up in the active registry; tests make a
 * fresh one (or reset the active one) per test for isolation.
 */
import { systemClock, type Clock } from "./clock.js";
import { DEFAULT_SETTINGS, StoreCore, type Profile, type StoreSettings } from "./core.js";
import type { KVDriver } from "./drivers/driver.js";
import { MemoryDriver } from "./drivers/memory.js";
import { EdgeKvError } from "./errors.js";
import { storeNameError } from "./rules.js";
import { KVLimits } from "./limits.js";
import { StoreAdmin } from "./admin.js";
import { OperationListeners, type OperationListener } from "./observer.js";

export interface RegistryOptions {
  /** Time source for TTLs and generations. Default: the system clock. */
  clock?: Clock;
  /** Behaviour profile for stores that do not set their own. Default: "production". */
  profile?: Profile;
  /** Metadata size limit for stores that do not set their own. Default: 1000 bytes. */
  maxMetadataBytes?: number;
  /** Driver for stores defined without one. Default: a new MemoryDriver per store. */
  createDriver?: (storeName: string) => KVDriver;
}

export interface StoreOptions {
  /** Where the data lives. Default: the registry's createDriver (memory). */
  driver?: KVDriver;
  profile?: Profile;
  maxMetadataBytes?: number;
  maxValueBytes?: number;
  /** Replace an existing store of the same name instead of failing. */
  replace?: boolean;
}

export class KVRegistry {
  #stores = new Map<string, StoreAdmin>();
  #clock: Clock;
  #options: RegistryOptions;
  #listeners = new OperationListeners();

  constructor(options: RegistryOptions = {}) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  /** The clock every store of this registry reads (switching it affects existing stores too). */
  get clock(): Clock {
    return this.#clock;
  }
  set clock(clock: Clock) {
    this.#clock = clock;
    for (const admin of this.#stores.values()) admin.core.settings.clock = clock;
  }

  /** Defines the store `name` and returns its admin handle. Fails if it exists, unless `replace`. */
  defineStore(name: string, options: StoreOptions = {}): StoreAdmin {
    const problem = storeNameError(String(name));
    if (problem) throw new EdgeKvError(`cannot define store ${JSON.stringify(name)}: ${problem.replace("KVStore constructor: ", "")}`);
    if (this.#stores.has(name) && !options.replace) {
      throw new EdgeKvError(`store '${name}' is already defined. Pass { replace: true } to defineStore, or removeStore('${name}') first`);
    }
    const settings = this.storeSettings(name, options);
    const driver = options.driver ?? this.#options.createDriver?.(name) ?? new MemoryDriver();
    const admin = new StoreAdmin(new StoreCore(name, driver, settings));
    if (this.#listeners.size > 0) admin.core.observer = this.#listeners.emit;
    this.#stores.set(name, admin);
    return admin;
  }

  /**
   * Calls `listener` after every operation (lookup, insert, delete, list) on any store of this
   * registry, whatever made it (KVStore, the admin API, the REST server...). Returns a function that
   * unsubscribes. Costs nothing while no listener is subscribed.
   */
  onOperation(listener: OperationListener): () => void {
    const unsubscribe = this.#listeners.add(listener);
    this.#observeStores();
    return () => {
      unsubscribe();
      this.#observeStores();
    };
  }

  #observeStores(): void {
    const observer = this.#listeners.size > 0 ? this.#listeners.emit : null;
    for (const admin of this.#stores.values()) admin.core.observer = observer;
  }

  /**
   * The settings (profile, limits, clock) a store defined with `options` would get, checked; throws
   * EdgeKvError for bad options. Lets loaders check data against a store's limits before defining it.
   */
  storeSettings(name: string, options: Omit<StoreOptions, "driver" | "replace"> = {}): StoreSettings {
    const settings: StoreSettings = {
      ...DEFAULT_SETTINGS,
      clock: this.#clock,
      profile: options.profile ?? this.#options.profile ?? DEFAULT_SETTINGS.profile,
      maxMetadataBytes: options.maxMetadataBytes ?? this.#options.maxMetadataBytes ?? DEFAULT_SETTINGS.maxMetadataBytes,
      maxValueBytes: options.maxValueBytes ?? DEFAULT_SETTINGS.maxValueBytes,
    };
    for (const [option, value] of [["maxMetadataBytes", settings.maxMetadataBytes], ["maxValueBytes", settings.maxValueBytes]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new EdgeKvError(`store '${name}': ${option} must be a non-negative integer, got ${String(value)}`);
    }
    if (settings.maxMetadataBytes > KVLimits.MAX_READABLE_METADATA_BYTES) {
      throw new EdgeKvError(
        `store '${name}': maxMetadataBytes can be at most ${KVLimits.MAX_READABLE_METADATA_BYTES} (Compute cannot read larger metadata back), got ${settings.maxMetadataBytes}`,
      );
    }
    if (settings.profile !== "production" && settings.profile !== "viceroy") {
      throw new EdgeKvError(`store '${name}': profile must be "production" or "viceroy", got ${JSON.stringify(settings.profile)}`);
    }
    return settings;
  }

  /** The admin handle of `name`; throws a clear error naming the defined stores when it is unknown. */
  store(name: string): StoreAdmin {
    const admin = this.#stores.get(name);
    if (!admin) throw unknownStore(name, this.storeNames());
    return admin;
  }

  /** The core of `name`, or undefined (used by KVStore and the servers). */
  lookup(name: string): StoreCore | undefined {
    return this.#stores.get(name)?.core;
  }

  hasStore(name: string): boolean {
    return this.#stores.has(name);
  }

  storeNames(): string[] {
    return [...this.#stores.keys()];
  }

  /**
   * Gives the store `from` the name `to`, keeping its driver, data and settings. Fails when `from` is
   * unknown or `to` is taken. KVStore objects opened under the old name keep working on the same data.
   */
  renameStore(from: string, to: string): StoreAdmin {
    const admin = this.store(from);
    if (from === to) return admin;
    const problem = storeNameError(String(to));
    if (problem) throw new EdgeKvError(`cannot rename store '${from}' to ${JSON.stringify(to)}: ${problem.replace("KVStore constructor: ", "")}`);
    if (this.#stores.has(to)) throw new EdgeKvError(`cannot rename store '${from}' to '${to}': a store named '${to}' is already defined`);
    admin.core.name = to;
    this.#stores.delete(from);
    this.#stores.set(to, admin);
    return admin;
  }

  /** Forgets the store and deletes its data (its driver's destroy(), else clear()). */
  async removeStore(name: string): Promise<void> {
    const admin = this.store(name);
    this.#stores.delete(name);
    const driver = admin.core.driver;
    await (driver.destroy ? driver.destroy() : driver.clear());
    await driver.close?.();
  }

  /** Empties every store, keeping the definitions. */
  async clearAll(): Promise<void> {
    for (const admin of this.#stores.values()) await admin.clear();
  }

  /** Forgets every store (their drivers are closed, their data left where it is). */
  async reset(): Promise<void> {
    const admins = [...this.#stores.values()];
    this.#stores.clear();
    for (const admin of admins) await admin.core.driver.close?.();
  }
}

export function unknownStore(name: string, defined: string[]): EdgeKvError {
  const list = defined.length ? `Defined stores: ${defined.join(", ")}.` : "No stores are defined.";
  return new EdgeKvError(
    `store '${name}' is not defined. ${list} Define it with registry.defineStore('${name}'), in fastly.toml [local_server.kv_stores], or in the edgeKv({ stores }) plugin options`,
  );
}

let active = new KVRegistry();
let scoped: (() => KVRegistry | undefined) | undefined;

/** The registry `new KVStore(name)` resolves names in. */
export function getRegistry(): KVRegistry {
  return (scoped !== undefined && scoped()) || active;
}

/**
 * @internal For the app host: `resolve` names the registry of the app whose request is running (an
 * app loaded with its own registry), or undefined to use the active one.
 */
export function setRegistryScope(resolve: (() => KVRegistry | undefined) | undefined): void {
  scoped = resolve;
}

/** Makes `registry` the active one and returns the previous one. */
export function setRegistry(registry: KVRegistry): KVRegistry {
  if (!(registry instanceof KVRegistry)) throw new EdgeKvError("setRegistry expects a KVRegistry (create one with new KVRegistry())");
  const previous = active;
  active = registry;
  return previous;
}

/** Makes a new, empty registry the active one and returns it: `beforeEach(() => resetRegistry())` isolates every test. */
export function resetRegistry(options?: RegistryOptions): KVRegistry {
  const registry = new KVRegistry(options);
  active = registry;
  return registry;
}

/** Shorthand for getRegistry().defineStore(...). */
export function defineStore(name: string, options?: StoreOptions): StoreAdmin {
  return active.defineStore(name, options);
}
