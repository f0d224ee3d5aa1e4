/**
 * `createTestKv()`: a registry of stores made for tests. Each store remembers its seed; `reset()`
 * puts every store back to it (and the fake clock back to its start, and disarms faults), so each
 * test starts from the same data. Read-back, fault injection, latency and the eventual-consistency
 * simulation work per store. Web-standard.
 */
import { recordView, type Bytes, type RecordView, type SeedData, type StoreAdmin } from "../admin.js";
import type { ComputeEnv, ConfigStoreAdmin, SecretStoreAdmin } from "../compute/resources.js";
import { FakeClock, systemClock, type Clock } from "../clock.js";
import type { Profile } from "../core.js";
import type { DriverSnapshot, KVDriver } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { KVRegistry, setRegistry, getRegistry } from "../registry.js";
import {
  StoreController,
  describe,
  type ConsistencyOptions,
  type FaultOptions,
  type LatencyOptions,
  type OperationRecord,
  type RuleHandle,
} from "./controller.js";

export interface TestStoreDefinition {
  /** Entries every test starts with: key → value, or key → { value, metadata?, ttl? }. */
  seed?: SeedData;
  /** Where the data lives. Default: a new MemoryDriver. A function is called once. */
  driver?: KVDriver | (() => KVDriver);
  profile?: Profile;
  maxMetadataBytes?: number;
  maxValueBytes?: number;
  /** Simulate eventual consistency from the start (see `simulateEventualConsistency`). */
  consistency?: ConsistencyOptions;
}

export interface TestKvOptions {
  /** Store name → definition (seed, driver...). More can be added with `defineStore`. */
  stores?: Record<string, TestStoreDefinition>;
  /**
   * The stores' clock. Default: a FakeClock starting at `start`, which only moves when the test
   * advances it (TTLs then expire exactly when told). Pass `"system"` for the real clock.
   */
  clock?: Clock | "system";
  /** Start time of the default fake clock. Default 2025-01-01T00:00:00Z. */
  start?: number | Date;
  /** Behaviour profile for every store that does not set one. Default "production". */
  profile?: Profile;
  /** Make this the registry `new KVStore(name)` uses, now. Default true. */
  activate?: boolean;
  /** Config stores (`fastly:config-store`, `fastly:dictionary`) every test starts with: name → { key: value }. */
  configStores?: Record<string, Record<string, string>>;
  /** Secret stores (`fastly:secret-store`) every test starts with: name → { secret: string or bytes }. */
  secretStores?: Record<string, Record<string, Bytes>>;
  /** `fastly:env` values every test starts with, over Viceroy's defaults (undefined unsets a default). */
  env?: Record<string, string | undefined>;
}

interface TestStore {
  admin: StoreAdmin;
  controller: StoreController;
  seed: SeedData;
  consistency: ConsistencyOptions | null;
  /** The driver's snapshot of the seeded store (drivers with the snapshot capability), restored by reset. */
  snapshot: DriverSnapshot | null;
}

export class TestKv {
  readonly registry: KVRegistry;
  readonly clock: Clock;
  /** Every store operation since the last reset, in order: { store, operation, key }. */
  readonly operations: OperationRecord[] = [];
  #stores = new Map<string, TestStore>();
  #start: number;
  #previous: KVRegistry | null = null;
  #configSeeds = new Map<string, Record<string, string>>();
  #secretSeeds = new Map<string, Record<string, Bytes>>();
  #envSeed: Record<string, string | undefined> = {};

  constructor(options: TestKvOptions = {}) {
    if (options === null || typeof options !== "object") throw new EdgeKvError(`createTestKv expects an options object, got ${describe(options)}`);
    if (options.clock === "system") this.clock = systemClock;
    else if (options.clock !== undefined) {
      if (typeof options.clock?.now !== "function") throw new EdgeKvError(`createTestKv: clock must be a Clock (an object with now()) or "system", got ${describe(options.clock)}`);
      this.clock = options.clock;
    } else this.clock = new FakeClock(options.start);
    this.#start = this.clock.now();
    this.registry = new KVRegistry({ clock: this.clock, profile: options.profile });
    const stores = options.stores ?? {};
    if (stores === null || typeof stores !== "object" || Array.isArray(stores)) {
      throw new EdgeKvError(`createTestKv: stores must be an object mapping store names to definitions, got ${describe(stores)}`);
    }
    for (const name of Object.keys(stores)) this.#define(name, stores[name] ?? {});
    for (const [option, define] of [
      ["configStores", (name: string, entries: Record<string, string>) => this.defineConfigStore(name, entries)],
      ["secretStores", (name: string, entries: Record<string, Bytes>) => this.defineSecretStore(name, entries)],
    ] as const) {
      const value = options[option] ?? {};
      if (value === null || typeof value !== "object" || Array.isArray(value)) {
        throw new EdgeKvError(`createTestKv: ${option} must be an object mapping store names to { key: value } objects, got ${describe(value)}`);
      }
      for (const [name, entries] of Object.entries(value)) (define as (name: string, entries: unknown) => unknown)(name, entries ?? {});
    }
    if (options.env !== undefined) {
      this.registry.env.set(options.env);
      this.#envSeed = { ...options.env };
    }
    if (options.activate !== false) this.activate();
  }

  /** The fake clock; throws when the TestKv was made with another clock. */
  get fakeClock(): FakeClock {
    if (!(this.clock instanceof FakeClock)) throw new EdgeKvError("this TestKv does not use a FakeClock (it was created with a clock option); advance your own clock instead");
    return this.clock;
  }

  /** Moves the fake clock forward: entries whose TTL has passed are gone from then on. */
  advance(milliseconds: number): this {
    this.fakeClock.advance(milliseconds);
    return this;
  }

  advanceSeconds(seconds: number): this {
    this.fakeClock.advanceSeconds(seconds);
    return this;
  }

  /** Makes this the registry `new KVStore(name)` resolves names in (remembering the previous one). */
  activate(): this {
    const previous = setRegistry(this.registry);
    if (previous !== this.registry) this.#previous = previous;
    return this;
  }

  /** Puts back the registry that was active before `activate()`. */
  restore(): void {
    if (this.#previous !== null && getRegistry() === this.registry) setRegistry(this.#previous);
    this.#previous = null;
  }

  storeNames(): string[] {
    return [...this.#stores.keys()];
  }

  /** The admin handle of a store (inspect, put, keys, stats...). */
  store(name: string): StoreAdmin {
    return this.#get(name).admin;
  }

  /**
   * The config store `name` (read by `ConfigStore` and `Dictionary`): `get`, `set`, `delete`, `entries`,
   * `replace`. Changes last until the next reset, which puts back the items it was defined with.
   */
  configStore(name: string): ConfigStoreAdmin {
    return this.registry.configStore(name);
  }

  /** Adds a config store; `entries` are its items now and after every reset. */
  defineConfigStore(name: string, entries: Record<string, string> = {}): ConfigStoreAdmin {
    const admin = this.registry.defineConfigStore(name, entries);
    this.#configSeeds.set(name, admin.entries());
    return admin;
  }

  /** The secret store `name` (`get`, `text`, `set`, `delete`, `entries`, `replace`); changes last until the next reset. */
  secretStore(name: string): SecretStoreAdmin {
    return this.registry.secretStore(name);
  }

  /** Adds a secret store; `entries` are its secrets now and after every reset. */
  defineSecretStore(name: string, entries: Record<string, Bytes> = {}): SecretStoreAdmin {
    const admin = this.registry.defineSecretStore(name, entries);
    this.#secretSeeds.set(name, admin.entries());
    return admin;
  }

  /**
   * The `fastly:env` values: `kv.env.set({ API_URL: "..." })` for this test, `kv.env.get(name)`,
   * `kv.env.values()`. Reset puts back the `env` option (over Viceroy's defaults).
   */
  get env(): ComputeEnv {
    return this.registry.env;
  }

  /** Adds a store; its seed is written now (await `ready`) and again on every reset. */
  defineStore(name: string, definition: TestStoreDefinition = {}): StoreAdmin {
    return this.#define(name, definition).admin;
  }

  /**
   * Resolves once every store holds its seed. Stores are seeded by `reset()`; a new TestKv is
   * seeded on the first call to `ready()` or `reset()`.
   */
  async ready(): Promise<this> {
    if (!this.#seeded) await this.reset();
    return this;
  }
  #seeded = false;

  /**
   * Back to the start: every store emptied and re-seeded, config and secret stores back to their
   * definitions, env back to the `env` option, the fake clock at its start time,
   * faults/latency/consistency windows of `failNext`/`delay`/`simulateEventualConsistency` removed
   * (consistency set in a store definition stays), the operation log emptied, this registry active.
   *
   * A store whose driver can snapshot (the memory driver) is seeded once and then put back to that
   * snapshot, at a cost that follows what the test changed, not the size of the seed. That is exact
   * with the fake clock (re-seeding at its start time would write the same records); with another
   * clock each reset seeds again, so TTLs and times count from the reset.
   */
  async reset(): Promise<this> {
    const fake = this.clock instanceof FakeClock;
    if (fake) (this.clock as FakeClock).set(this.#start);
    for (const store of this.#stores.values()) {
      store.controller.clear();
      store.controller.setConsistency(store.consistency);
      store.controller.active = false;
      try {
        if (!(fake && (await this.#restore(store)))) await this.#seedAfresh(store, fake);
      } catch (error) {
        throw new EdgeKvError(`could not seed store '${store.admin.name}': ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      } finally {
        store.controller.active = true;
      }
    }
    for (const [name, entries] of this.#configSeeds) this.registry.defineConfigStore(name, entries, { replace: true });
    for (const [name, entries] of this.#secretSeeds) this.registry.defineSecretStore(name, entries, { replace: true });
    this.registry.env.reset(this.#envSeed);
    this.operations.length = 0;
    this.#seeded = true;
    this.activate();
    return this;
  }

  /** Puts a store back to its snapshot; false when it has none (or the driver no longer has it). */
  async #restore(store: TestStore): Promise<boolean> {
    const driver = store.admin.core.driver;
    if (store.snapshot === null || !driver.restore) return false;
    try {
      await driver.restore(store.snapshot);
      return true;
    } catch (error) {
      if (!(error instanceof EdgeKvError)) throw error;
      store.snapshot = null; // replaced by a snapshot someone else took: seed again
      return false;
    }
  }

  async #seedAfresh(store: TestStore, snapshot: boolean): Promise<void> {
    const driver = store.admin.core.driver;
    await store.admin.clear();
    await store.admin.seed(store.seed);
    store.snapshot = snapshot && driver.snapshot ? await driver.snapshot() : null;
  }

  /** Writes more entries into a store now (not part of its seed: the next reset drops them). */
  async seed(name: string, data: SeedData): Promise<void> {
    const store = this.#get(name);
    store.controller.active = false;
    try {
      await store.admin.seed(data);
    } finally {
      store.controller.active = true;
    }
  }

  /**
   * Everything stored in `name` now, in key order: key, value bytes and text, metadata bytes and
   * text, generation, expiresAt, lastModified. Reads the store directly: no faults, latency or
   * staleness apply, and nothing is logged.
   */
  async entries(name: string, prefix?: string): Promise<RecordView[]> {
    const { core } = this.#get(name).admin;
    const out: RecordView[] = [];
    let after: string | undefined;
    for (;;) {
      const batch = await core.driver.scan({ prefix, after, limit: 1000 });
      for (const item of batch) {
        const record = await core.driver.read(item.key);
        if (record !== null && core.isLive(record)) out.push(recordView(item.key, record));
      }
      if (batch.length < 1000) return out;
      after = batch[batch.length - 1]!.key;
    }
  }

  /** One entry as `entries` shows it, or null when absent or expired. */
  async entry(name: string, key: string): Promise<RecordView | null> {
    const { core } = this.#get(name).admin;
    const record = await core.driver.read(key);
    return record !== null && core.isLive(record) ? recordView(key, record) : null;
  }

  /** Key → value text of every live entry of `name`: for `expect(await kv.snapshot("s")).toEqual({...})`. */
  async snapshot(name: string): Promise<Record<string, string>> {
    const out: Record<string, string> = Object.create(null);
    for (const entry of await this.entries(name)) out[entry.key] = entry.text;
    return out;
  }

  /** `entries()` of every store: store name → entries. */
  async dump(): Promise<Record<string, RecordView[]>> {
    const out: Record<string, RecordView[]> = Object.create(null);
    for (const name of this.#stores.keys()) out[name] = await this.entries(name);
    return out;
  }

  /**
   * Makes the next matching operations on store `name` reject as Compute does when the store
   * fails: by default the next one, with `TypeError: KVStore <operation>: Too many requests.`
   */
  failNext(name: string, options: FaultOptions = {}): RuleHandle {
    return this.#get(name).controller.addFault(options);
  }

  /** Delays matching operations on store `name` by `ms` milliseconds (setTimeout), until cancelled or reset. */
  delay(name: string, ms: number, options: LatencyOptions = {}): RuleHandle {
    return this.#get(name).controller.addLatency(ms, options);
  }

  /**
   * From now until the next reset, `KVStore.get` on store `name` returns the previous value of a key
   * for `staleForMs` after it was written or deleted (null when it was new). Deterministic: the window
   * is measured on the stores' clock. `null` switches it off.
   */
  simulateEventualConsistency(name: string, options: ConsistencyOptions | null): void {
    this.#get(name).controller.setConsistency(options);
  }

  #define(name: string, definition: TestStoreDefinition): TestStore {
    if (definition === null || typeof definition !== "object") {
      throw new EdgeKvError(`store '${name}': the definition must be an object like { seed: { key: "value" } }, got ${describe(definition)}`);
    }
    const seed = definition.seed ?? {};
    if (seed === null || typeof seed !== "object" || Array.isArray(seed)) {
      throw new EdgeKvError(`store '${name}': seed must be an object mapping keys to values, got ${describe(seed)}`);
    }
    const driver = typeof definition.driver === "function" ? definition.driver() : definition.driver;
    const admin = this.registry.defineStore(name, {
      driver,
      profile: definition.profile,
      maxMetadataBytes: definition.maxMetadataBytes,
      maxValueBytes: definition.maxValueBytes,
    });
    const controller = new StoreController(admin.core, this.operations);
    const consistency = definition.consistency ?? null;
    controller.setConsistency(consistency);
    const store: TestStore = { admin, controller, seed, consistency, snapshot: null };
    this.#stores.set(name, store);
    this.#seeded = false;
    return store;
  }

  #get(name: string): TestStore {
    const store = this.#stores.get(name);
    if (!store) {
      const names = this.storeNames();
      throw new EdgeKvError(
        `store '${name}' is not defined in this TestKv. ${names.length ? `Defined stores: ${names.join(", ")}.` : "No stores are defined."} Add it to createTestKv({ stores }) or call defineStore('${name}')`,
      );
    }
    return store;
  }
}

/** A TestKv with these stores, active at once; `await kv.ready()` (or `reset()`) writes the seeds. */
export function createTestKv(options?: TestKvOptions): TestKv {
  return new TestKv(options);
}

