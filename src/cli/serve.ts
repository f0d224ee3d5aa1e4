/**
 * `edge-kv serve` starts the local KV REST server (Fastly, Apify and Telnyx
 * dialects) on memory stores or on a data folder, optionally seeded from fastly.toml.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EdgeKvError } from "../errors.js";
import { defineFastlyStores, metadataLimit, readFastlyToml } from "../node/fastly-toml.js";
import { fileSystemStores } from "../node/index.js";
import { KVRegistry, setRegistry } from "../registry.js";
import { chooseRedis, openRedisRegistry, type RedisSource } from "./redis-registry.js";
import { StoreCatalog } from "../server/catalog.js";
import { redactUrl } from "../redis/redact.js";
import { checkBinding, createServer, type RestServer } from "../server/index.js";
import { explorerLine } from "../explorer/page.js";
import { parseCommandArgs, untilStopped, type Command } from "./command.js";
import { storesInFolder } from "./data-folder.js";

export const DEFAULT_PORT = 7878;
export const STATE_FILE_NAME = ".edge-kv-server.json";

const USAGE = `Usage: edge-kv serve [options]

Starts a local KV REST server speaking Fastly's KV API (/resources/stores/kv), plus Apify-style
(/v2/key-value-stores) and Telnyx-style (/v2/storage/kvs) dialects, over one set of stores.

Options:
  --port <n>            port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <address>      interface to bind (default 127.0.0.1, loopback only)
  --data <folder>       keep stores in this folder (kept between runs); default: in memory
  --memory              keep stores in memory (the default)
  --redis <url>         keep stores in Redis or Valkey: redis://[user:password@]host:port[/db],
                        rediss:// for TLS, host1:port1,host2:port2 for a cluster. Every server on
                        the same Redis serves the same stores (and gives them the same ids).
                        Without --redis, --data or --memory, EDGE_KV_REDIS is read (keeps a password
                        out of ps)
  --fastly-toml <file>  define and seed the KV, config and secret stores of this fastly.toml
                        (default: ./fastly.toml when there is one)
  --no-fastly-toml      do not load ./fastly.toml
  --max-metadata-bytes <n>
                        metadata limit of the stores defined at start (fastly.toml's, --store's,
                        the data folder's); default 1000, at most 69000. REST-created stores take 2000
  --store <name>        define an empty store (repeatable)
  --token <token>       require this token (Fastly-Key or Authorization: Bearer); better: set
                        EDGE_KV_TOKEN (a command line is visible to other users in ps).
                        Without one, any token is accepted: allowed only on a loopback --host
  --insecure-no-token   serve a non-loopback --host (0.0.0.0, a LAN address...) without a token:
                        anyone who can reach it can read, change and delete every store
  -h, --help            show this help

The first line printed is "edge-kv REST server listening on <url>"; the second gives the explorer
page, <url>/_edge-kv/ (with #token=... when a token is required); the next ones say which stores
were loaded from where.`;

export interface ServeOptions {
  port: number;
  host: string;
  data: string | undefined;
  /** --redis, or EDGE_KV_REDIS without --data/--memory: the Redis URL (credentials included; never printed). */
  redis: string | undefined;
  /** Where `redis` came from, for the start-up line; or that EDGE_KV_REDIS was set but --data/--memory won. */
  redisFrom?: RedisSource | undefined;
  /** A fastly.toml to load; undefined: ./fastly.toml when it exists; false: none (--no-fastly-toml). */
  fastlyToml: string | false | undefined;
  maxMetadataBytes?: number | undefined;
  stores: string[];
  token: string | undefined;
  /** --insecure-no-token: a non-loopback host without a token (prints a warning). */
  insecureNoToken: boolean;
}

/** Parses `serve` arguments; throws EdgeKvError saying what was wrong and what to do. */
export function parseServeArgs(args: string[], env: Record<string, string | undefined> = process.env): ServeOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        memory: { type: "boolean" },
        redis: { type: "string" },
        "fastly-toml": { type: "string" },
        "no-fastly-toml": { type: "boolean" },
        "max-metadata-bytes": { type: "string" },
        store: { type: "string", multiple: true },
        token: { type: "string" },
        "insecure-no-token": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new EdgeKvError(`serve: ${(error as Error).message}. Run 'edge-kv serve --help' for the options`);
  }
  const { values } = parsed;
  if (values.help) return "help";
  const storage = [values.memory && "--memory", values.data !== undefined && "--data", values.redis !== undefined && "--redis"].filter(Boolean);
  if (storage.length > 1) throw new EdgeKvError(`serve: ${storage.join(" and ")} exclude each other; pick one`);
  if (values.redis === "") throw new EdgeKvError("serve: --redis needs a URL like redis://127.0.0.1:6379");
  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new EdgeKvError(`serve: --port must be a number from 0 to 65535, got '${values.port}'`);
  }
  if (values.data === "") throw new EdgeKvError("serve: --data needs a folder path");
  if (values["no-fastly-toml"] && values["fastly-toml"] !== undefined) throw new EdgeKvError("serve: --fastly-toml and --no-fastly-toml exclude each other; pick one");
  const { redis, redisFrom } = chooseRedis(values.redis, storage.length > 0, env);
  const maxMetadata = values["max-metadata-bytes"];
  const given = values.token ?? env.EDGE_KV_TOKEN;
  const token = given === "" ? undefined : given;
  const host = values.host ?? "127.0.0.1";
  const insecureNoToken = values["insecure-no-token"] === true;
  checkBinding({ host, token, insecureNoToken }, "--insecure-no-token");
  return {
    port,
    host,
    data: values.data === undefined ? undefined : resolve(values.data),
    redis,
    ...(redisFrom !== undefined && { redisFrom }),
    fastlyToml: values["no-fastly-toml"] ? false : values["fastly-toml"] === undefined ? undefined : resolve(values["fastly-toml"]),
    ...(maxMetadata !== undefined && { maxMetadataBytes: metadataLimit(maxMetadata, "serve: --max-metadata-bytes") }),
    stores: values.store ?? [],
    token,
    insecureNoToken,
  };
}

/** What `serve` reports at start-up: which stores came from where, and warnings about the config. */
export interface ServeReport {
  notes: string[];
  warnings: string[];
}

/** Builds the registry the options describe and starts the server on it; fills `report` for the start-up lines. */
export async function serve(options: ServeOptions, report: ServeReport = { notes: [], warnings: [] }): Promise<RestServer> {
  if (options.redis !== undefined) return serveRedis(options, options.redis, report);
  const createDriver = options.data === undefined ? undefined : fileSystemStores(options.data);
  const registry = new KVRegistry({ ...(createDriver && { createDriver }), ...metadataOption(options) });
  setRegistry(registry);
  const stateFile = options.data === undefined ? undefined : join(options.data, STATE_FILE_NAME);
  await defineStartStores(registry, options, report);
  if (options.data !== undefined) {
    // Load the state file first, so renamed stores re-open their data and keep their ids.
    const catalog = new StoreCatalog(registry, { stateFile, restStoreOptions: {}, createDriver });
    const retired = catalog.dataNamesInUse();
    const found = storesInFolder(options.data).filter((name) => !registry.hasStore(name) && !retired.has(name));
    for (const name of found) registry.defineStore(name);
    if (found.length > 0) report.notes.push(`stores found in ${options.data}: ${found.join(", ")}`);
  }
  return createServer({
    registry,
    host: options.host,
    port: options.port,
    insecureNoToken: options.insecureNoToken,
    ...(options.token !== undefined && { token: options.token }),
    ...(stateFile !== undefined && { stateFile }),
    ...(createDriver !== undefined && { createDriver }),
  });
}

function metadataOption(options: ServeOptions): { maxMetadataBytes?: number } {
  return options.maxMetadataBytes === undefined ? {} : { maxMetadataBytes: options.maxMetadataBytes };
}

/** The stores of fastly.toml (given, or ./fastly.toml when there is one) and of --store, noted in `report`. */
async function defineStartStores(registry: KVRegistry, options: ServeOptions, report: ServeReport): Promise<void> {
  // fastly.toml stores are (re)seeded on every start, as Viceroy does; other keys in a data folder stay.
  const tomlPath = options.fastlyToml === false ? undefined : (options.fastlyToml ?? (existsSync("fastly.toml") ? resolve("fastly.toml") : undefined));
  if (tomlPath !== undefined) {
    const toml = await readFastlyToml(tomlPath);
    report.warnings.push(...toml.warnings);
    const names = await defineFastlyStores(toml, { registry, existing: "fail", seed: "overwrite", raise: (bytes) => `edge-kv serve --max-metadata-bytes ${bytes}` });
    report.notes.push(`stores from ${toml.path}: ${names.join(", ") || "(none)"}`);
    for (const [kind, stores] of [["config stores", toml.configStores], ["secret stores", toml.secretStores]] as const) {
      if (stores.size > 0) report.notes.push(`${kind} from ${toml.path}: ${[...stores.keys()].join(", ")}`);
    }
    if (toml.ignoredSections.length > 0) report.notes.push(`fastly.toml sections edge-kv does not use: ${toml.ignoredSections.join(", ")}`);
  } else {
    report.notes.push(options.fastlyToml === false ? "fastly.toml not loaded (--no-fastly-toml)" : `no fastly.toml in ${process.cwd()} (--fastly-toml <file> loads one)`);
  }
  const fromFlag = options.stores.filter((name) => !registry.hasStore(name));
  for (const name of fromFlag) registry.defineStore(name);
  if (fromFlag.length > 0) report.notes.push(`stores from --store: ${fromFlag.join(", ")}`);
}

/** `serve --redis`: every server on one Redis serves the same stores, by name. */
async function serveRedis(options: ServeOptions, url: string, report: ServeReport): Promise<RestServer> {
  const redis = await openRedisRegistry(url, metadataOption(options));
  try {
    await defineStartStores(redis.registry, options, report);
    const found = redis.defineFound();
    if (found.length > 0) report.notes.push(`stores found in Redis: ${found.join(", ")}`);
    return await createServer({
      registry: redis.registry,
      host: options.host,
      port: options.port,
      insecureNoToken: options.insecureNoToken,
      storeIds: "by-name",
      syncStores: () => redis.syncStores(),
      ...(options.token !== undefined && { token: options.token }),
    });
  } catch (error) {
    await redis.close();
    throw error;
  }
}

/** Runs `edge-kv serve <args>` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(rest: string[]): Promise<number> {
  const options = parseCommandArgs(() => parseServeArgs(rest), USAGE);
  if (typeof options === "number") return options;
  const warning = checkBinding(options);
  if (warning !== undefined) process.stderr.write(`\n${"!".repeat(78)}\n${warning}\n${"!".repeat(78)}\n\n`);
  let server: RestServer;
  const report: ServeReport = { notes: [], warnings: [] };
  try {
    server = await serve(options, report);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message =
      code === "EADDRINUSE"
        ? `edge-kv: port ${options.port} on ${options.host} is already in use; pick another with --port (0 picks a free one)`
        : (error as Error).message;
    process.stderr.write(`${message}\n`);
    return 1;
  }
  const ignored = options.redisFrom === "EDGE_KV_REDIS ignored" ? ` (${options.data === undefined ? "--memory" : "--data"} wins over EDGE_KV_REDIS)` : "";
  const where =
    options.redis !== undefined
      ? `stores in Redis at ${redactUrl(options.redis)}${options.redisFrom === "EDGE_KV_REDIS" ? " (EDGE_KV_REDIS)" : ""}`
      : `${options.data === undefined ? "memory stores" : `stores in ${options.data}`}${ignored}`;
  process.stdout.write(`edge-kv REST server listening on ${server.url}\n`);
  process.stdout.write(`  explorer: ${explorerLine(server.url, options.token)}\n`);
  process.stdout.write(`  ${where}; ${options.token === undefined ? "any token accepted" : "token required"}; Ctrl-C stops it\n`);
  for (const note of report.notes) process.stdout.write(`  ${note}\n`);
  for (const warning of report.warnings) process.stderr.write(`${warning}\n`);
  await untilStopped(() => server.close());
  await import("../registry.js").then(({ getRegistry }) => getRegistry().reset());
  return 0;
}

export const command: Command = { name: "serve", run: runServe };
