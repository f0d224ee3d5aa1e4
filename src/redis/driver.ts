/**
 * A store in Redis or Valkey (a single server or a Cluster), shared by every process and machine that
 * opens the same store name on the same server. Each operation is one round trip: `read` one GET,
 * `write` / `delete` / `scan` one script that Redis runs atomically, so a write plan (add, generation
 * match, append, prepend, size limit) is decided and applied with no other command in between, by
 * whichever client sends it. Layout: see layout.ts; scripts: scripts.ts.
 *
 * Server-side expiry: a record with an expiry is given a Redis TTL of its remaining lifetime (by the
 * writer's clock) plus `expiryGraceMs`, so the server reclaims its memory; the core stops serving it at
 * its `expiresAt` on its own clock. The key's index and key-info entries stay (a few dozen bytes, and
 * its generation) until the core, seeing the key expired in a scan, purges it, or it is written again.
 */
import type { DeletePlan, DeleteResult, KVDriver, ScanItem, ScanRange, StoredRecord, WritePlan, WriteResult } from "../drivers/driver.js";
import { EdgeKvError } from "../errors.js";
import { RedisConnection, RedisStoreError, type DriverClient, type RedisConnectionOptions } from "./connection.js";
import { DEFAULT_PREFIX, LAYOUT_FORMAT, LAYOUT_VERSION, StoreKeys, checkPrefix, decodeRecord, encodeRecordExtras, encodeRecordTimes } from "./layout.js";

export interface RedisDriverOptions extends RedisConnectionOptions {
  /** The store's name: its keys live under its hash tag (see layout.ts). */
  storeName: string;
  /** First part of every Redis key edge-kv writes. Default "edge-kv". */
  prefix?: string;
  /** The server drops a record this long after it expires by the writer's clock. Default 60000. */
  expiryGraceMs?: number;
  /** A connection shared with other drivers (redisStores passes one); `url` and the connection options are then ignored. */
  connection?: RedisConnection;
}

/** Index entries examined per scan script beyond the items asked for (entries without key info, removed as met). */
const SCAN_BUDGET = 1000;
/** Items per scan script call: bounds how long one script holds the server. */
const SCAN_CHUNK = 1000;
const CLEAR_BATCH = "500";
/** How the write script reads `combine`. */
const COMBINE = { replace: "r", append: "a", prepend: "p" } as const;

const bytes = (view: Uint8Array): Buffer => (Buffer.isBuffer(view) ? view : Buffer.from(view.buffer, view.byteOffset, view.byteLength));
const view = (buffer: Buffer): Uint8Array => new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);

export class RedisDriver implements KVDriver {
  readonly description: string;
  readonly storeName: string;
  readonly connection: RedisConnection;
  readonly keys: StoreKeys;
  readonly #prefix: string;
  readonly #graceMs: number;
  readonly #ownsConnection: boolean;
  #acquired = false;
  #opened: Promise<void> | true | undefined;

  constructor(options: RedisDriverOptions) {
    if (options === null || typeof options !== "object") throw new EdgeKvError(`RedisDriver: options must be an object like { url, storeName }, got ${options === null ? "null" : typeof options}`);
    if (typeof options.storeName !== "string" || options.storeName === "") {
      throw new EdgeKvError(`RedisDriver: storeName must be a non-empty string (the store's keys live under it), got ${JSON.stringify(options.storeName)}`);
    }
    this.storeName = options.storeName;
    this.#prefix = checkPrefix(options.prefix ?? DEFAULT_PREFIX);
    const grace = options.expiryGraceMs ?? 60_000;
    if (typeof grace !== "number" || !Number.isFinite(grace) || grace < 0) throw new EdgeKvError(`RedisDriver: expiryGraceMs must be a number of milliseconds ≥ 0, got ${JSON.stringify(grace)}`);
    this.#graceMs = grace;
    this.#ownsConnection = options.connection === undefined;
    this.connection = options.connection ?? new RedisConnection(options);
    this.keys = new StoreKeys(this.#prefix, this.storeName);
    this.description = `redis:${this.connection.safeUrl} store '${this.storeName}'`;
  }

  /** A driver whose server was reached and whose store layout was checked: connection errors surface here. */
  static async open(options: RedisDriverOptions): Promise<RedisDriver> {
    const driver = new RedisDriver(options);
    await driver.ready();
    return driver;
  }

  /** Connects, checks the store's layout and lists the store in `<prefix>:stores` now, rather than at the first operation. */
  ready(): Promise<void> {
    return this.#run("open", undefined, async () => undefined);
  }

  read(key: string): Promise<StoredRecord | null> {
    return this.#run("lookup", key, (client) =>
      client.getBuffer(this.keys.recordPrefixText + key).then(
        (data) => {
          if (data === null) return null;
          const record = decodeRecord(data);
          if (record === undefined) throw this.#foreign(key, true);
          return record;
        },
        (error: unknown) => {
          throw /^WRONGTYPE\b/.test((error as Error)?.message ?? "") ? this.#foreign(key) : error;
        },
      ),
    );
  }

  write(key: string, plan: WritePlan): Promise<WriteResult> {
    const { require } = plan;
    const expiryMs = plan.expiresAt === null ? 0 : Math.max(1, Math.ceil(Math.max(0, plan.expiresAt - plan.now) + this.#graceMs));
    const args = [
      this.keys.recordPrefixText + key,
      this.keys.indexText,
      this.keys.keyInfoText,
      key,
      String(plan.now),
      (typeof require === "string" ? (require === "any" ? "a" : "n") : require.orAbsent ? "o" : "g") + COMBINE[plan.combine],
      typeof require === "string" ? "0" : String(require.generation),
      bytes(plan.value),
      String(plan.maxValueBytes),
      encodeRecordTimes(plan.expiresAt, plan.lastModified),
      encodeRecordExtras(plan.metadata, plan.contentType),
      String(plan.generationFloor),
      String(plan.freshGeneration),
      String(expiryMs),
    ];
    return this.#run("insert", key, async (client) => {
      const reply = await client.edgeKvWriteBuffer(...args);
      if (reply[0] === 0) return { status: "precondition-failed" };
      if (reply[0] === -1) return { status: "too-large" };
      const record: StoredRecord = {
        value: reply[2] === undefined ? plan.value : view(reply[2]),
        metadata: plan.metadata,
        generation: reply[1]!,
        expiresAt: plan.expiresAt,
        lastModified: plan.lastModified,
        contentType: plan.contentType,
      };
      return { status: "written", record };
    });
  }

  delete(key: string, plan: DeletePlan): Promise<DeleteResult> {
    const { require } = plan;
    const args = [
      this.keys.recordPrefixText + key,
      this.keys.indexText,
      this.keys.keyInfoText,
      key,
      String(plan.now),
      typeof require === "string" ? require : require.orAbsent ? "gen-or-absent" : "gen",
      typeof require === "string" ? "0" : String(require.generation),
    ];
    return this.#run("delete", key, async (client) => {
      const code = await client.edgeKvDelete(...args);
      if (code === -1) return { status: "precondition-failed" };
      if (code === 0) return { status: "absent" };
      return { status: "deleted", wasLive: code === 1 };
    });
  }

  scan(range: ScanRange): Promise<ScanItem[]> {
    const prefix = range.prefix ? Buffer.from(range.prefix, "utf8") : undefined;
    let after: Buffer | undefined = range.after === undefined ? undefined : Buffer.from(range.after, "utf8");
    const max = prefix === undefined ? "+" : Buffer.concat([Buffer.from("("), prefix, Buffer.from([0xff])]);
    return this.#run("list", undefined, async (client) => {
      const items: ScanItem[] = [];
      while (items.length < range.limit) {
        const chunk = Math.min(range.limit - items.length, SCAN_CHUNK);
        const reply = await client.edgeKvScanBuffer(this.keys.index, this.keys.keyInfo, lexMin(prefix, after), max, String(chunk), String(chunk + SCAN_BUDGET));
        const found = (reply.length - 1) / 2;
        for (let i = 1; i < reply.length; i += 2) {
          const [, expires, lastModified, size] = reply[i + 1]!.toString().split("|");
          items.push({ key: reply[i]!.toString("utf8"), expiresAt: expires === "" ? null : Number(expires), lastModified: Number(lastModified), size: Number(size) });
        }
        const resume = reply[0]!;
        if (found === chunk) after = Buffer.from(items[items.length - 1]!.key, "utf8");
        else if (resume.byteLength > 0) after = resume;
        else break;
      }
      return items;
    });
  }

  clear(): Promise<void> {
    return this.#run("clear", undefined, async (client) => {
      while ((await client.edgeKvClear(this.keys.index, this.keys.keyInfo, this.keys.recordPrefix, CLEAR_BATCH)) > 0);
    });
  }

  /** Removes the store's records and its bookkeeping (key info with the retired generation, layout marker, name in the store set). */
  async destroy(): Promise<void> {
    await this.clear();
    await this.#run("destroy", undefined, async (client) => {
      await client.del(this.keys.meta, this.keys.index, this.keys.keyInfo);
      await client.srem(this.keys.stores, this.storeName);
    });
    this.#opened = undefined;
    await this.close();
  }

  /** Releases this driver's use of the connection (closing it when no other driver uses it). Using the driver again reconnects. */
  async close(): Promise<void> {
    this.#opened = undefined;
    if (!this.#acquired) return;
    this.#acquired = false;
    if (this.#ownsConnection) await this.connection.close();
    else await this.connection.release();
  }

  /** Runs one operation: connects and checks the layout on first use, and words every failure. */
  #run<T>(operation: string, key: string | undefined, send: (client: DriverClient) => Promise<T>): Promise<T> {
    const client = this.#opened === true && this.#acquired ? this.connection.readyClient : undefined;
    if (client === undefined) return this.#firstRun(operation, key, send);
    // The common case: connected and opened. One promise, no async frame.
    this.connection.enter();
    return send(client).then(
      (result) => {
        this.connection.leave();
        return result;
      },
      (error: unknown) => {
        this.connection.leave();
        throw error instanceof EdgeKvError ? error : this.connection.failure(error, this.#where(operation, key));
      },
    );
  }

  /** #run when the connection or the store's layout check is not done yet. */
  async #firstRun<T>(operation: string, key: string | undefined, send: (client: DriverClient) => Promise<T>): Promise<T> {
    this.connection.enter();
    try {
      if (!this.#acquired) {
        this.#acquired = true;
        if (!this.#ownsConnection) this.connection.acquire();
      }
      const client = await this.connection.client();
      if (this.#opened !== true) await (this.#opened ??= this.#open(client));
      return await send(client);
    } catch (error) {
      if (error instanceof EdgeKvError) throw error;
      throw this.connection.failure(error, this.#where(operation, key));
    } finally {
      this.connection.leave();
    }
  }

  async #open(client: DriverClient): Promise<void> {
    try {
      const [[format, version, name]] = await Promise.all([
        client.edgeKvOpen(this.keys.meta, LAYOUT_FORMAT, LAYOUT_VERSION, this.storeName),
        client.sadd(this.keys.stores, this.storeName),
      ]);
      if (format !== LAYOUT_FORMAT || version !== LAYOUT_VERSION || name !== this.storeName) {
        throw new RedisStoreError(
          `Redis ${this.#where("open", undefined)} on ${this.connection.safeUrl}: the key ${this.keys.meta.toString()} says ${JSON.stringify({ format, version, name })}, ` +
            `but this edge-kv writes ${JSON.stringify({ format: LAYOUT_FORMAT, version: LAYOUT_VERSION, name: this.storeName })}. Use the edge-kv version that wrote the store, or another prefix`,
          "other",
        );
      }
      this.#opened = true;
    } catch (error) {
      this.#opened = undefined;
      throw error;
    }
  }

  /** The error for a record key that holds something edge-kv did not write (or wrote in another layout). */
  #foreign(key: string, isString = false): RedisStoreError {
    return new RedisStoreError(
      `Redis ${this.#where("lookup", key)} on ${this.connection.safeUrl}: ${this.keys.recordPrefixText}${key} is not an edge-kv record (${isString ? "a string not in edge-kv's record format" : "not a string"}); another program wrote to edge-kv's keys. Delete that key, or give edge-kv another prefix`,
      "other",
    );
  }

  #where(operation: string, key: string | undefined): string {
    const shown = key === undefined ? "" : `, key ${JSON.stringify(key.length > 100 ? `${key.slice(0, 100)}…` : key)}`;
    return `store '${this.storeName}' (${operation}${shown})`;
  }
}

/** ZRANGEBYLEX lower bound: strictly after `after` when it is at or past the prefix, else from the prefix on. */
function lexMin(prefix: Buffer | undefined, after: Buffer | undefined): Buffer | string {
  if (after !== undefined && (prefix === undefined || Buffer.compare(after, prefix) >= 0)) return Buffer.concat([Buffer.from("("), after]);
  if (prefix !== undefined) return Buffer.concat([Buffer.from("["), prefix]);
  return "-";
}
