/**
 * One connection to a Redis or Valkey deployment (a single server or a Cluster), shared by every
 * driver of a `redisStores` factory. It parses the URL, keeps its credentials out of every message,
 * finds out on first use whether the server is a cluster node, registers the driver's scripts, and
 * turns client failures into errors that say what happened and what to do.
 *
 * Client: ioredis. Commands sent while the connection is down wait in its offline queue until the
 * connection is back or one reconnect attempt more has failed (then they fail: nothing hangs);
 * commands already sent when a connection drops are not re-sent (a write whose answer was lost may
 * have been applied: re-sending an append would apply it twice), and fail instead. Every command
 * fails after `commandTimeoutMs` without an answer. The client keeps reconnecting in the background,
 * so the driver works again as soon as the server is back.
 */
import type { ConnectionOptions as TlsOptions } from "node:tls";
import { Cluster, Redis, type RedisOptions } from "ioredis";
import { EdgeKvError } from "../errors.js";
import { redactUrl } from "./redact.js";
import { CLEAR_SCRIPT, DELETE_SCRIPT, OPEN_SCRIPT, SCAN_SCRIPT, WRITE_SCRIPT } from "./scripts.js";

export interface RedisConnectionOptions {
  /**
   * `redis://[[user]:password@]host[:port][/db]`, `rediss://` for TLS (`valkey://`, `valkeys://` are
   * the same). Several `host:port` separated by commas are seed nodes of a cluster. Default
   * `redis://127.0.0.1:6379`.
   */
  url?: string;
  /** true: a cluster, false: a single server. Default: asked from the server on first use (INFO cluster). */
  cluster?: boolean;
  /** A command without an answer after this long fails with a timeout error. Default 10000. */
  commandTimeoutMs?: number;
  /** Connecting (TCP and TLS handshake) may take this long. Default 10000. */
  connectTimeoutMs?: number;
  /** TLS options for `rediss://` (CA, client certificate, servername...). */
  tls?: TlsOptions;
  /**
   * Let the process exit while no operation is waiting for the server (the socket does not keep Node's
   * event loop alive when idle), as with the memory and filesystem drivers. Default true.
   */
  unrefWhenIdle?: boolean;
}

/** What a driver sees of the client: the commands it sends (scripts registered by defineCommand). */
export interface DriverClient {
  getBuffer(key: string): Promise<Buffer | null>;
  /** [0] precondition failed, [-1] too large, [1, generation] or [1, generation, combined value] written. */
  edgeKvWriteBuffer(...args: (Buffer | string)[]): Promise<[number, number?, Buffer?]>;
  edgeKvDelete(...args: (Buffer | string)[]): Promise<number>;
  edgeKvScanBuffer(...args: (Buffer | string)[]): Promise<Buffer[]>;
  edgeKvClear(...args: (Buffer | string)[]): Promise<number>;
  edgeKvOpen(...args: (Buffer | string)[]): Promise<(string | null)[]>;
  sadd(key: string, member: string): Promise<number>;
  srem(key: string, member: string): Promise<number>;
  smembers(key: string): Promise<string[]>;
  del(...keys: Buffer[]): Promise<number>;
}

interface ParsedUrl {
  tls: boolean;
  nodes: { host: string; port: number }[];
  username: string | undefined;
  password: string | undefined;
  db: number;
  /** The URL without credentials, for messages. */
  safe: string;
}

const URL_SHAPE = /^(redis|rediss|valkey|valkeys):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/(\d*))?\/?$/i;

/** Parses a connection URL; throws EdgeKvError (without the password) when it is malformed. */
export function parseRedisUrl(url: string): ParsedUrl {
  if (typeof url !== "string") throw new EdgeKvError(`Redis: the url must be a string like redis://host:6379, got ${typeof url}`);
  // Seed nodes may repeat the scheme: redis://a:7000,redis://b:7001 reads as redis://a:7000,b:7001.
  const match = URL_SHAPE.exec(url.trim().replace(/,\s*(?:redis|rediss|valkey|valkeys):\/\//gi, ","));
  const shown = redactUrl(url);
  if (!match) {
    throw new EdgeKvError(`Redis: cannot read the url '${shown}': expected redis://[user:password@]host[:port][/db] (rediss:// for TLS; host1:port1,host2:port2 for cluster seed nodes)`);
  }
  const [, scheme, userinfo, hostList, dbText] = match;
  const tls = /^(rediss|valkeys)$/i.test(scheme!);
  const nodes = hostList!.split(",").map((part) => {
    const hostPort = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(part.trim());
    const port = hostPort?.[2] === undefined ? 6379 : Number(hostPort[2]);
    if (!hostPort || port < 1 || port > 65535) throw new EdgeKvError(`Redis: cannot read the host '${part}' in '${shown}': expected host or host:port with a port from 1 to 65535`);
    return { host: hostPort[1]!.replace(/^\[|\]$/g, ""), port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined && userinfo !== "") {
    const colon = userinfo.indexOf(":");
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text);
      } catch {
        throw new EdgeKvError(`Redis: the credentials in '${shown}' are not valid percent-encoding`);
      }
    };
    if (colon === -1) password = decode(userinfo);
    else {
      username = decode(userinfo.slice(0, colon)) || undefined;
      password = decode(userinfo.slice(colon + 1));
    }
  }
  const db = dbText === undefined || dbText === "" ? 0 : Number(dbText);
  if (db !== 0 && nodes.length > 1) throw new EdgeKvError(`Redis: '${shown}' names several cluster nodes and a database; a cluster has only database 0`);
  const safe = `${scheme!.toLowerCase()}://${userinfo ? "***@" : ""}${nodes.map((node) => `${node.host.includes(":") ? `[${node.host}]` : node.host}:${node.port}`).join(",")}${db === 0 ? "" : `/${db}`}`;
  return { tls, nodes, username, password, db, safe };
}


function positive(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) throw new EdgeKvError(`Redis: ${name} must be a positive number of milliseconds, got ${JSON.stringify(value)}`);
  return value;
}

type AnyClient = Redis | Cluster;

/** A shared, lazily opened, reference-counted connection. */
export class RedisConnection {
  /** The URL without credentials: safe for messages and logs. */
  readonly safeUrl: string;
  readonly #parsed: ParsedUrl;
  readonly #options: RedisConnectionOptions;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  #client: AnyClient | undefined;
  #ready: Promise<AnyClient> | undefined;
  #users = 0;
  /** The last connection-level error (refused, DNS, TLS, auth), for messages. */
  #lastError: string | undefined;
  /** Operations waiting for the server; while 0 (and unrefWhenIdle) the sockets are unref'ed. */
  #busy = 0;
  readonly #unrefWhenIdle: boolean;

  constructor(options: RedisConnectionOptions = {}) {
    if (options === null || typeof options !== "object") throw new EdgeKvError(`Redis: options must be an object, got ${options === null ? "null" : typeof options}`);
    this.#parsed = parseRedisUrl(options.url ?? "redis://127.0.0.1:6379");
    this.safeUrl = this.#parsed.safe;
    this.#options = options;
    this.#commandTimeoutMs = positive(options.commandTimeoutMs, "commandTimeoutMs", 10_000);
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, "connectTimeoutMs", 10_000);
    this.#unrefWhenIdle = options.unrefWhenIdle ?? true;
    if (options.cluster !== undefined && typeof options.cluster !== "boolean") throw new EdgeKvError(`Redis: cluster must be true or false, got ${JSON.stringify(options.cluster)}`);
  }

  get commandTimeoutMs(): number {
    return this.#commandTimeoutMs;
  }

  /** Whether this is a cluster connection (known after the first successful use). */
  get isCluster(): boolean | undefined {
    return this.#client === undefined ? undefined : this.#client instanceof Cluster;
  }

  /** Counts a user (a driver); the connection closes when the last one releases it. */
  acquire(): void {
    this.#users++;
  }

  async release(): Promise<void> {
    if (this.#users > 0 && --this.#users > 0) return;
    await this.close();
  }

  /** The client once it was set up (it may be reconnecting), else undefined. */
  get readyClient(): DriverClient | undefined {
    return this.#ready === undefined ? (this.#client as unknown as DriverClient | undefined) : undefined;
  }

  /** The connected client (connecting, and detecting a cluster, on first use). */
  client(): DriverClient | Promise<DriverClient> {
    if (this.#client !== undefined && this.#ready === undefined) return this.#client as unknown as DriverClient;
    this.#ready ??= this.#open().then(
      (client) => {
        this.#ready = undefined;
        return client;
      },
      (error: unknown) => {
        this.#ready = undefined;
        throw error;
      },
    );
    return this.#ready as Promise<unknown> as Promise<DriverClient>;
  }

  /** An operation starts: the sockets keep the process alive until it ends (see unrefWhenIdle). */
  enter(): void {
    if (this.#busy++ === 0) this.#holdProcess(true);
  }

  /** An operation ended. */
  leave(): void {
    if (--this.#busy === 0) this.#holdProcess(false);
  }

  #holdProcess(hold: boolean): void {
    const client = this.#client;
    if (!this.#unrefWhenIdle || client === undefined) return;
    for (const node of client instanceof Cluster ? client.nodes("all") : [client]) {
      const stream = node.stream as { ref?: () => void; unref?: () => void } | undefined;
      if (hold) stream?.ref?.();
      else stream?.unref?.();
    }
  }

  /** Closes the connection now (QUIT, or a disconnect when the server does not answer). */
  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    this.#ready = undefined;
    if (client === undefined) return;
    try {
      await Promise.race([client.quit(), new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    } catch {
      // the server is gone: nothing to say goodbye to
    }
    client.disconnect();
  }

  /** Why the last attempt to connect failed, if it did ("ECONNREFUSED", "WRONGPASS ..."). */
  get lastError(): string | undefined {
    return this.#lastError;
  }

  async #open(): Promise<AnyClient> {
    const parsed = this.#parsed;
    const redisOptions: RedisOptions = {
      username: parsed.username,
      password: parsed.password,
      db: parsed.db,
      ...(parsed.tls && { tls: { ...this.#options.tls } }),
      connectionName: "edge-kv",
      lazyConnect: true,
      enableOfflineQueue: true,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 1,
      commandTimeout: this.#commandTimeoutMs,
      connectTimeout: this.#connectTimeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      // Off: it delays each command to the next tick to batch it with others, which costs a single
      // client's latency; commands from concurrent operations are pipelined on the connection anyway.
      enableAutoPipelining: false,
    };
    let cluster = this.#options.cluster ?? (parsed.nodes.length > 1 ? true : undefined);
    if (cluster === undefined) {
      // One node, asked whether it is part of a cluster; a single server's connection is kept.
      const probe = await connected(this.#watch(new Redis({ ...parsed.nodes[0]!, ...redisOptions })));
      try {
        cluster = /cluster_enabled:1/.test(await probe.info("cluster"));
      } catch (error) {
        probe.disconnect();
        throw error;
      }
      if (!cluster) return this.#install(probe);
      probe.disconnect();
    }
    if (cluster) {
      const client = this.#watch(
        new Cluster(parsed.nodes, {
          redisOptions,
          lazyConnect: true,
          enableOfflineQueue: true,
          enableAutoPipelining: false,
          clusterRetryStrategy: (times: number) => Math.min(times * 100, 2000),
          slotsRefreshTimeout: this.#connectTimeoutMs,
        }),
      );
      return this.#install(await connected(client));
    }
    return this.#install(await connected(this.#watch(new Redis({ ...parsed.nodes[0]!, ...redisOptions }))));
  }

  #watch<T extends AnyClient>(client: T): T {
    client.on("error", (error: Error) => {
      this.#lastError = describeFailure(error, this.#parsed.password);
    });
    const connected = () => {
      this.#lastError = undefined;
      if (this.#busy === 0) this.#holdProcess(false);
    };
    client.on("ready", connected);
    // A cluster opens a connection per node as it needs them: each follows the same rule.
    if (client instanceof Cluster) client.on("+node", (node: Redis) => node.on("ready", connected));
    return client;
  }

  #install(client: AnyClient): AnyClient {
    client.defineCommand("edgeKvWrite", { numberOfKeys: 3, lua: WRITE_SCRIPT });
    client.defineCommand("edgeKvDelete", { numberOfKeys: 3, lua: DELETE_SCRIPT });
    client.defineCommand("edgeKvScan", { numberOfKeys: 2, lua: SCAN_SCRIPT });
    client.defineCommand("edgeKvClear", { numberOfKeys: 2, lua: CLEAR_SCRIPT });
    client.defineCommand("edgeKvOpen", { numberOfKeys: 1, lua: OPEN_SCRIPT });
    this.#client = client;
    return client;
  }

  /**
   * The error to throw for a failed command: names the store, the operation and the server (never
   * its credentials), says what happened and what to do. Redis's own error text is kept (with any
   * occurrence of the password removed).
   */
  failure(error: unknown, where: string): RedisStoreError {
    const password = this.#parsed.password;
    let reason = describeFailure(error, password);
    // A connection that failed on its AUTH or ACL: say so, rather than "cannot reach".
    if (this.#lastError !== undefined && /^(NOAUTH|WRONGPASS|NOPERM)\b/.test(this.#lastError)) reason = this.#lastError;
    const lost = this.#lastError !== undefined && this.#lastError !== reason ? ` (last connection error: ${this.#lastError})` : "";
    let what: string;
    let kind: RedisFailureKind;
    if (/timed out/i.test(reason)) {
      kind = "timeout";
      what = `the server did not answer within ${this.#commandTimeoutMs} ms (commandTimeoutMs); it may be overloaded or blocked. If this was a write, it may or may not have been applied`;
    } else if (/^OOM\b/.test(reason)) {
      kind = "full";
      what = `the server is full (maxmemory reached): nothing was written. Free memory (delete data, or let TTLs expire) or raise maxmemory — ${reason}`;
    } else if (/aborted due to connection close/i.test(reason)) {
      kind = "connection-lost";
      what = "the connection was lost before the server answered; if this was a write, it may or may not have been applied. The driver reconnects by itself";
    } else if (/max retries per request|Connection is closed|ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EPIPE|connect ETIMEDOUT|Stream isn't writeable/i.test(reason)) {
      kind = "unreachable";
      what = `cannot reach the server${lost || ` (${reason})`}. The driver keeps reconnecting: retry once the server is back`;
    } else if (/^(NOAUTH|WRONGPASS|NOPERM)\b/.test(reason)) {
      kind = "auth";
      what = `the server refused the credentials or the permissions of the connection: ${reason}. Check the user and password in the URL and the user's ACL (it needs EVALSHA, EVAL, GET, SADD, SREM, SMEMBERS, DEL on the prefix's keys)`;
    } else if (/^LOADING\b/.test(reason)) {
      kind = "unavailable";
      what = `the server is loading its data after a restart; retry in a moment — ${reason}`;
    } else if (/^(CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)\b/.test(reason)) {
      kind = "unavailable";
      what = `the cluster cannot serve this store's slot right now: ${reason}`;
    } else {
      kind = "other";
      what = reason;
    }
    return new RedisStoreError(`Redis ${where} failed on ${this.safeUrl}: ${what}`, kind);
  }
}

export type RedisFailureKind = "timeout" | "full" | "connection-lost" | "unreachable" | "auth" | "unavailable" | "other";

/** A store operation on Redis failed; the message names the store, the operation and the server. */
export class RedisStoreError extends EdgeKvError {
  /** What kind of failure: "timeout", "full", "connection-lost", "unreachable", "auth", "unavailable" or "other". */
  readonly kind: RedisFailureKind;
  constructor(message: string, kind: RedisFailureKind) {
    super(message);
    this.name = "RedisStoreError";
    this.kind = kind;
  }
}

/** Connects `client`; on failure stops it (no reconnecting in the background) and rethrows. */
async function connected<T extends AnyClient>(client: T): Promise<T> {
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    throw error;
  }
}

/** An error's message, without the password should it appear in it. */
function describeFailure(error: unknown, password: string | undefined): string {
  let text = error instanceof Error ? error.message : String(error);
  if (password) text = text.split(password).join("***");
  // Redis names the script and line of an error raised inside one: noise for the user.
  text = text.replace(/ script: [0-9a-f]{40}, on @user_script:\d+\.?$/, "");
  return text;
}
