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
import { StoreAdmin, type Bytes } from "./admin.js";
import { ComputeResources, type ComputeEnv, type ConfigStoreAdmin, type SecretStoreAdmin } from "./compute/resources.js";
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

/** Marks registries across copies of edge-kv; the value is the protocol the registry speaks. */
const REGISTRY_BRAND = Symbol.for("edge-kv.KVRegistry");
/**
 * Version of the interface that surfaces use on a registry (and the store cores it returns). Copies of
 * edge-kv that speak the same protocol share the active registry; a copy that finds another protocol
 * there fails with an error naming both copies.
 */
export const REGISTRY_PROTOCOL = 2;

export interface DefineOptions {
  /** Replace an existing store of the same name instead of failing. */
  replace?: boolean;
}

export class KVRegistry {
  readonly [REGISTRY_BRAND] = REGISTRY_PROTOCOL;
  #stores = new Map<string, StoreAdmin>();
  #compute = new ComputeResources();
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

  /**
   * The service's `fastly:env` values: `env.get(name)` is what `env(name)` returns; `env.set({...})`
   * overrides (undefined unsets); defaults are Viceroy's (FASTLY_HOSTNAME=localhost, FASTLY_POP=XXX...).
   */
  get env(): ComputeEnv {
    return this.#compute.env;
  }

  /** Defines a config store (read by `ConfigStore` and `Dictionary`): string keys to string values. */
  defineConfigStore(name: string, entries?: Record<string, string>, options?: DefineOptions): ConfigStoreAdmin {
    return this.#compute.defineConfigStore(name, entries, options);
  }

  /** The admin handle of config store `name` (get/set/delete/entries/replace); throws when unknown. */
  configStore(name: string): ConfigStoreAdmin {
    return this.#compute.configStore(name);
  }

  /** Config store `name`, or undefined (used by ConfigStore and Dictionary). */
  lookupConfigStore(name: string): ConfigStoreAdmin | undefined {
    return this.#compute.configStores.get(name);
  }

  configStoreNames(): string[] {
    return [...this.#compute.configStores.keys()];
  }

  removeConfigStore(name: string): boolean {
    return this.#compute.configStores.delete(name);
  }

  /** Defines a secret store: secret names to strings (stored as UTF-8) or bytes. */
  defineSecretStore(name: string, entries?: Record<string, Bytes>, options?: DefineOptions): SecretStoreAdmin {
    return this.#compute.defineSecretStore(name, entries, options);
  }

  /** The admin handle of secret store `name`; throws when unknown. */
  secretStore(name: string): SecretStoreAdmin {
    return this.#compute.secretStore(name);
  }

  /** Secret store `name`, or undefined (used by SecretStore). */
  lookupSecretStore(name: string): SecretStoreAdmin | undefined {
    return this.#compute.secretStores.get(name);
  }

  secretStoreNames(): string[] {
    return [...this.#compute.secretStores.keys()];
  }

  removeSecretStore(name: string): boolean {
    return this.#compute.secretStores.delete(name);
  }

  /** Forgets every store — KV, config and secret — and every env value set (their drivers are closed, their data left where it is). */
  async reset(): Promise<void> {
    const admins = [...this.#stores.values()];
    this.#stores.clear();
    this.#compute.reset();
    for (const admin of admins) await admin.core.driver.close?.();
  }
}

export function unknownStore(name: string, defined: string[]): EdgeKvError {
  const list = defined.length ? `Defined stores: ${defined.join(", ")}.` : "No stores are defined.";
  return new EdgeKvError(
    `store '${name}' is not defined. ${list} Define it with registry.defineStore('${name}'), in fastly.toml [local_server.kv_stores], or in the edgeKv({ stores }) plugin options`,
  );
}

/**
 * The active registry lives on globalThis under a registered symbol, so that every copy of edge-kv
 * loaded in one process (the Vite-transformed one and Node's own, dist and src, two installs) resolves
 * `new KVStore(name)` — and config stores, secret stores, env — in the same place.
 */
const ACTIVE = Symbol.for("edge-kv.registry.active");
interface ActiveSlot {
  protocol: number;
  registry: KVRegistry;
  /** Which copy of edge-kv created the slot (for the two-copies error). */
  source: string;
  /** Set by the app host: the registry of the app whose request is running, when it has its own. */
  scope?: () => KVRegistry | undefined;
}
type Holder = { [ACTIVE]?: ActiveSlot };
const SOURCE: string = typeof import.meta.url === "string" ? import.meta.url : "unknown";

function activeSlot(): ActiveSlot {
  const holder = globalThis as Holder;
  let slot = holder[ACTIVE];
  if (slot === undefined) {
    slot = { protocol: REGISTRY_PROTOCOL, registry: new KVRegistry(), source: SOURCE };
    holder[ACTIVE] = slot;
  } else if (slot.protocol !== REGISTRY_PROTOCOL) {
    throw new EdgeKvError(
      `two incompatible copies of edge-kv are loaded in this process: ${slot.source} (registry protocol ${slot.protocol}) and ${SOURCE} (protocol ${REGISTRY_PROTOCOL}). ` +
        "Stores defined through one would be invisible to the other. Install a single version (npm ls edge-kv shows them) and import it by one name",
    );
  }
  return slot;
}

/** Whether `value` is a KVRegistry of this copy of edge-kv or of another one that speaks the same protocol. */
export function isRegistry(value: unknown): value is KVRegistry {
  return value instanceof KVRegistry || (value !== null && typeof value === "object" && (value as Record<symbol, unknown>)[REGISTRY_BRAND] === REGISTRY_PROTOCOL);
}

/** The registry `new KVStore(name)` (and ConfigStore, SecretStore, env) resolves names in. */
export function getRegistry(): KVRegistry {
  const slot = activeSlot();
  return (slot.scope !== undefined && slot.scope()) || slot.registry;
}

/**
 * @internal For the app host: `resolve` names the registry of the app whose request is running (an
 * app loaded with its own registry), or undefined to use the active one.
 */
export function setRegistryScope(resolve: (() => KVRegistry | undefined) | undefined): void {
  activeSlot().scope = resolve;
}

/** Makes `registry` the active one and returns the previous one. */
export function setRegistry(registry: KVRegistry): KVRegistry {
  if (!isRegistry(registry)) throw new EdgeKvError("setRegistry expects a KVRegistry (create one with new KVRegistry())");
  const slot = activeSlot();
  const previous = slot.registry;
  slot.registry = registry;
  return previous;
}

/** Makes a new, empty registry the active one and returns it: `beforeEach(() => resetRegistry())` isolates every test. */
export function resetRegistry(options?: RegistryOptions): KVRegistry {
  const registry = new KVRegistry(options);
  activeSlot().registry = registry;
  return registry;
}

/** Shorthand for getRegistry().defineStore(...). */
export function defineStore(name: string, options?: StoreOptions): StoreAdmin {
  return getRegistry().defineStore(name, options);
}
