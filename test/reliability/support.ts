/**
 * Shared helpers of the reliability suites: observing a call's outcome exactly (value, or error
 * class + message + whether it was thrown synchronously), dumping a driver's raw contents for
 * byte-for-byte comparisons, and building a store on any driver behind a fake clock.
 */
import { FakeClock, KVStore, resetRegistry, type KVDriver, type KVRegistry, type Profile, type StoreAdmin, type StoredRecord } from "edge-kv";

export type Observed<T = unknown> = { ok: true; value: T } | { ok: false; error: string; message: string; sync: boolean };

/** Runs `call` and records how it ended, distinguishing a synchronous throw from a rejection. */
export async function observe<T>(call: () => Promise<T> | T): Promise<Observed<Awaited<T>>> {
  let pending: Promise<T> | T;
  try {
    pending = call();
  } catch (error) {
    return describeError(error, true);
  }
  try {
    return { ok: true, value: await pending };
  } catch (error) {
    return describeError(error, false);
  }
}

function describeError(error: unknown, sync: boolean): Observed<never> {
  if (error instanceof Error) return { ok: false, error: error.constructor.name, message: error.message, sync };
  return { ok: false, error: typeof error, message: String(error), sync };
}

export function hex(bytes: Uint8Array | null): string | null {
  if (bytes === null) return null;
  let out = "";
  for (const byte of bytes) out += byte.toString(16).padStart(2, "0");
  return out;
}

/**
 * Every record the driver holds, expired ones included, every field, in scan order, as one string:
 * two dumps are equal exactly when the stored data is byte-for-byte the same.
 */
export async function dumpDriver(driver: KVDriver): Promise<string> {
  const rows: unknown[] = [];
  let after: string | undefined;
  for (let page = 0; page < 10_000; page++) {
    const batch = await driver.scan({ after, limit: 500 });
    for (const item of batch) {
      const record = await driver.read(item.key);
      rows.push([item.key, item.size, item.expiresAt, item.lastModified, record === null ? null : plainRecord(record)]);
    }
    if (batch.length < 500) return JSON.stringify(rows);
    after = batch[batch.length - 1]!.key;
  }
  throw new Error("dumpDriver: more than 5,000,000 records");
}

export function plainRecord(record: StoredRecord) {
  return {
    value: hex(record.value),
    metadata: hex(record.metadata),
    generation: record.generation,
    expiresAt: record.expiresAt,
    lastModified: record.lastModified,
    contentType: record.contentType,
  };
}

export interface DriverSetup {
  driver: KVDriver;
  /** Removes whatever the driver left behind (folders, databases). */
  cleanup?: () => Promise<void> | void;
  /** A new driver on the same data (persistent drivers): the harness closes the old one first. */
  reopen?: () => Promise<KVDriver> | KVDriver;
  /** A second, simultaneous driver on the same data (another process or tab), kept open alongside. */
  twin?: () => Promise<KVDriver> | KVDriver;
}

export type DriverFactory = () => Promise<DriverSetup> | DriverSetup;

export interface Subject {
  name: string;
  registry: KVRegistry;
  store: KVStore;
  admin: StoreAdmin;
  clock: FakeClock;
  driver: KVDriver;
  /** Every generation seen per key, oldest first (the harness's view, for "stale generation" choices). */
  generations: Map<string, number[]>;
  /** Set once the driver was closed and reopened (a new core: in-process generation memory is gone). */
  reopened?: boolean;
  /** Closes the driver and redefines the store on a new driver over the same data (persistent drivers). */
  reopen?: () => Promise<void>;
  /** Switches every later call to the other of two open drivers on the same data (and back). */
  switchTwin?: () => Promise<void>;
  cleanup(): Promise<void>;
}

export const START_TIME = Date.UTC(2026, 0, 1);

/** A fresh registry with a fake clock and one store `name` on the factory's driver. */
export async function makeSubject(
  factory: DriverFactory,
  options: { name?: string; maxValueBytes?: number; maxMetadataBytes?: number; profile?: Profile } = {},
): Promise<Subject> {
  const clock = new FakeClock(START_TIME);
  const registry = resetRegistry({ clock });
  const setup = await factory();
  const name = options.name ?? "reliability";
  const define = (driver: KVDriver) =>
    registry.defineStore(name, { driver, maxValueBytes: options.maxValueBytes, maxMetadataBytes: options.maxMetadataBytes, profile: options.profile, replace: true });
  const subject: Subject = {
    name,
    registry,
    admin: define(setup.driver),
    store: new KVStore(name), // after define: the store must exist
    clock,
    driver: setup.driver,
    generations: new Map(),
    async cleanup() {
      await registry.reset();
      await setup.cleanup?.();
    },
  };
  const twin = setup.twin;
  if (twin !== undefined) {
    // Both drivers stay open, each behind its own store (and core) of the same registry and clock.
    const other = { driver: await twin(), name: `${name}-twin` };
    const otherAdmin = registry.defineStore(other.name, { driver: other.driver, maxValueBytes: options.maxValueBytes, maxMetadataBytes: options.maxMetadataBytes, profile: options.profile });
    let sides = [
      { driver: subject.driver, admin: subject.admin, store: subject.store },
      { driver: other.driver, admin: otherAdmin, store: new KVStore(other.name) },
    ];
    subject.switchTwin = async () => {
      sides = [sides[1]!, sides[0]!];
      Object.assign(subject, sides[0]);
      subject.reopened = true; // another core: generations of re-created keys come from it now
    };
    const cleanup = subject.cleanup;
    subject.cleanup = async () => {
      await other.driver.close?.();
      await cleanup();
    };
  }
  const reopen = setup.reopen;
  if (reopen !== undefined) {
    subject.reopen = async () => {
      await subject.driver.close?.();
      subject.driver = await reopen();
      subject.admin = define(subject.driver);
      subject.store = new KVStore(name);
    };
  }
  return subject;
}
