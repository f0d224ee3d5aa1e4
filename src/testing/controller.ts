/**
 * One controller per store core, installed as its `hook` and `readView`: fault injection, added
 * latency, the operation log and the eventual-consistency simulation all plug in here, so they
 * compose (the core has a single hook slot). Web-standard: timers are `setTimeout`.
 */
import type { Operation, ReadView, StoreCore } from "../core.js";
import { chain, type MaybePromise, type StoredRecord } from "../drivers/driver.js";
import { EdgeKvError, KVError } from "../errors.js";
import { KVErrorDetails, type KVErrorCode } from "../messages.js";

/** Operation names as the runtime's messages spell them, plus the method names that cause them. */
export type OperationName = Operation | "get" | "put";
const OPERATION_ALIASES: Record<string, Operation> = {
  lookup: "lookup",
  get: "lookup",
  insert: "insert",
  put: "insert",
  delete: "delete",
  list: "list",
};

export interface OperationFilter {
  /** Which operations: "lookup" (get), "insert" (put), "delete", "list". Default: all. */
  operation?: OperationName | OperationName[];
  /** Only operations on this key (list operations have no key and never match). Default: any key. */
  key?: string;
}

export interface FaultOptions extends OperationFilter {
  /** How many matching operations fail; `Infinity` until cleared. Default 1. */
  times?: number;
  /**
   * What they fail with: a store error code, which `KVStore` reports exactly as Compute does
   * (`"too-many-requests"` → `TypeError: KVStore insert: Too many requests.`), or any Error to throw.
   * Default "too-many-requests".
   */
  error?: KVErrorCode | Error;
}

export interface LatencyOptions extends OperationFilter {
  /** How many matching operations are delayed; default `Infinity` (until cleared). */
  times?: number;
}

export interface ConsistencyOptions {
  /**
   * For this many milliseconds (on the stores' clock) after a write or delete, `KVStore.get` of that
   * key returns what was there before, as a distant Fastly location may. Writes, `list()` and the
   * test read-back helpers always see the latest data.
   */
  staleForMs: number;
}

/** A rule that is still armed; `cancel()` disarms it. */
export interface RuleHandle {
  /** Operations it will still affect (Infinity for "until cleared"). */
  readonly remaining: number;
  cancel(): void;
}

export interface OperationRecord {
  store: string;
  operation: Operation;
  /** Absent for list operations. */
  key?: string;
}

interface Rule {
  operations: Set<Operation> | null;
  key: string | undefined;
  remaining: number;
}
interface FaultRule extends Rule {
  error: KVErrorCode | Error;
}
interface LatencyRule extends Rule {
  ms: number;
}
interface HistoryEntry {
  /** Clock time of the write. */
  at: number;
  /** The record before the write (null: there was none). */
  before: StoredRecord | null;
}

export class StoreController {
  readonly core: StoreCore;
  readonly log: OperationRecord[];
  faults: FaultRule[] = [];
  latencies: LatencyRule[] = [];
  /** Stale-read window in ms, or null when reads are strong. */
  staleForMs: number | null = null;
  #history = new Map<string, HistoryEntry[]>();
  /** While false (seeding), operations are neither logged nor affected. */
  active = true;

  constructor(core: StoreCore, log: OperationRecord[]) {
    this.core = core;
    this.log = log;
    core.hook = (operation, key) => this.#beforeOperation(operation, key);
    core.readView = ((key, live) => this.#view(key, live)) satisfies ReadView;
    core.listFilter = (key) => this.#listed(key);
  }

  addFault(options: FaultOptions): RuleHandle {
    const what = `failNext('${this.core.name}')`;
    const error = options.error ?? "too-many-requests";
    if (!(error instanceof Error) && !(typeof error === "string" && Object.hasOwn(KVErrorDetails, error))) {
      throw new EdgeKvError(
        `${what}: error must be an Error or one of ${Object.keys(KVErrorDetails).map((code) => JSON.stringify(code)).join(", ")}, got ${describe(error)}`,
      );
    }
    const rule: FaultRule = { ...this.#rule(what, options, 1), error };
    this.faults.push(rule);
    return handle(rule, this.faults);
  }

  addLatency(ms: number, options: LatencyOptions): RuleHandle {
    const what = `delay('${this.core.name}')`;
    if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
      throw new EdgeKvError(`${what}: the delay must be a finite number of milliseconds >= 0, got ${describe(ms)}`);
    }
    const rule: LatencyRule = { ...this.#rule(what, options, Infinity), ms };
    this.latencies.push(rule);
    return handle(rule, this.latencies);
  }

  setConsistency(options: ConsistencyOptions | null): void {
    if (options === null) {
      this.staleForMs = null;
      this.#history.clear();
      return;
    }
    const window = options?.staleForMs;
    if (typeof window !== "number" || !Number.isFinite(window) || window < 0) {
      throw new EdgeKvError(
        `eventual consistency for store '${this.core.name}': staleForMs must be a finite number of milliseconds >= 0, got ${describe(window)}`,
      );
    }
    this.staleForMs = window;
  }

  /** Disarms every fault and latency rule and forgets the write history. */
  clear(): void {
    this.faults.length = 0;
    this.latencies.length = 0;
    this.#history.clear();
  }

  #rule(what: string, options: OperationFilter & { times?: number }, defaultTimes: number): Rule {
    if (options === null || typeof options !== "object") throw new EdgeKvError(`${what}: options must be an object, got ${describe(options)}`);
    const times = options.times ?? defaultTimes;
    if (!(times === Infinity || (Number.isSafeInteger(times) && times > 0))) {
      throw new EdgeKvError(`${what}: times must be a positive integer or Infinity, got ${describe(times)}`);
    }
    let operations: Set<Operation> | null = null;
    if (options.operation !== undefined) {
      const names = Array.isArray(options.operation) ? options.operation : [options.operation];
      operations = new Set(
        names.map((name) => {
          const operation = typeof name === "string" ? OPERATION_ALIASES[name] : undefined;
          if (!operation || !Object.hasOwn(OPERATION_ALIASES, name)) {
            throw new EdgeKvError(`${what}: operation must be "lookup" (get), "insert" (put), "delete" or "list", got ${describe(name)}`);
          }
          return operation;
        }),
      );
    }
    if (options.key !== undefined && typeof options.key !== "string") throw new EdgeKvError(`${what}: key must be a string, got ${describe(options.key)}`);
    return { operations, key: options.key, remaining: times };
  }

  #beforeOperation(operation: Operation, key: string | undefined): MaybePromise<void> {
    if (!this.active) return;
    this.log.push(key === undefined ? { store: this.core.name, operation } : { store: this.core.name, operation, key });
    let delay = 0;
    for (const rule of take(this.latencies, operation, key, Infinity)) delay = Math.max(delay, rule.ms);
    const [fault] = take(this.faults, operation, key, 1);
    const proceed = (): MaybePromise<void> => {
      if (fault) throw fault.error instanceof Error ? fault.error : new KVError(fault.error);
      if (this.staleForMs !== null && key !== undefined && (operation === "insert" || operation === "delete")) {
        const at = this.core.settings.clock.now();
        return chain(this.core.driver.read(key), (before) => {
          const entries = this.#history.get(key) ?? [];
          entries.push({ at, before });
          this.#history.set(key, entries);
        });
      }
    };
    if (delay > 0) return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(proceed);
    return proceed();
  }

  /**
   * Whether an eventual list shows a live key: not when the key did not exist (or had expired)
   * `staleForMs` ago. Keys deleted within the window are not added back (lists only filter).
   */
  #listed(key: string): boolean {
    const stale = this.#stale(key);
    return stale === undefined || stale !== null;
  }

  /** What a reader sees instead of the live record: the value as of `staleForMs` ago. */
  #view(key: string, live: StoredRecord | null): StoredRecord | null {
    const stale = this.#stale(key);
    return stale === undefined ? live : stale;
  }

  /**
   * The state of `key` as of `staleForMs` ago — the record before the first write made after that
   * moment, null when it had none (or it had expired by now) — or undefined when no write to `key`
   * falls inside the window (the live state is current).
   */
  #stale(key: string): StoredRecord | null | undefined {
    if (this.staleForMs === null) return undefined;
    const entries = this.#history.get(key);
    if (!entries) return undefined;
    const now = this.core.settings.clock.now();
    const horizon = now - this.staleForMs;
    while (entries.length > 0 && entries[0]!.at <= horizon) entries.shift();
    if (entries.length === 0) {
      this.#history.delete(key);
      return undefined;
    }
    const before = entries[0]!.before;
    return before !== null && this.core.isLive(before, now) ? before : null;
  }
}

/** Matching rules, each consumed once; at most `max` of them. Exhausted rules are removed. */
function take<R extends Rule>(rules: R[], operation: Operation, key: string | undefined, max: number): R[] {
  const taken: R[] = [];
  for (let i = 0; i < rules.length && taken.length < max; i++) {
    const rule = rules[i]!;
    if (rule.operations !== null && !rule.operations.has(operation)) continue;
    if (rule.key !== undefined && rule.key !== key) continue;
    taken.push(rule);
    rule.remaining -= 1;
    if (rule.remaining <= 0) rules.splice(i--, 1);
  }
  return taken;
}

function handle(rule: Rule, rules: Rule[]): RuleHandle {
  return {
    get remaining() {
      return rules.includes(rule) ? rule.remaining : 0;
    },
    cancel() {
      const index = rules.indexOf(rule);
      if (index >= 0) rules.splice(index, 1);
    },
  };
}

export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}
