/**
 * `edge-kv dev [entry]`: serves a Compute app locally, the way `fastly compute serve` does, without
 * building wasm — the app's own entry runs in-process through edge-kv/host (`loadApp(...).fetch`, the
 * path tests use) on stores from ./fastly.toml. `/_edge-kv/` is reserved: the explorer page is there and
 * the REST API of every dialect at /_edge-kv/api/ (the handler of `edge-kv serve`).
 */
import { existsSync, statSync, unwatchFile, watchFile } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { relative, resolve } from "node:path";
import { parseArgs } from "node:util";
import { EdgeKvError } from "../errors.js";
import { metadataLimit } from "../node/fastly-toml.js";
import { geolocationOption } from "../node/fastly-toml-geolocation.js";
import { SERVE, listenerTarget, loadApp, type App, type ServedRequest } from "../host/app.js";
import { openOutsideScope, useSoloRequests } from "../host/context.js";
import type { AppErrorInfo } from "../host/fetch-event.js";
import { LOCAL_SERVER, formatRequestId } from "../host/messages.js";
import { AppBundler, type AppBuild, type AppBuildError } from "../host/node/bundle.js";
import { installLateAddEventListener } from "../host/listeners.js";
import { findAppEntry, type AppEntry } from "../host/node/entry.js";
import { hasBody, lazyAppRequest, readRequestBody, sendResponse } from "../host/node/http.js";
import type { KVRegistry } from "../registry.js";
import { redactUrl } from "../redis/redact.js";
import { sendJson } from "../server/http.js";
import { explorerLine } from "../explorer/page.js";
import { createRequestHandler, isReservedPath } from "../server/index.js";
import { installGlobals } from "../shim/globals.js";
import { setIncludeBytesReader } from "../compute/experimental.js";
import { projectFiles } from "../compute/project-files.js";
import { parseCommandArgs, untilStopped, type Command } from "./command.js";
import { openStores } from "./stores.js";

const USAGE = `Usage: edge-kv dev [entry] [options]

Serves a Fastly Compute JavaScript app locally on ${LOCAL_SERVER.origin} (the address of
'fastly compute serve'), on stores from ./fastly.toml. The entry is the app's file; without one,
the input of 'js-compute-runtime' in fastly.toml [scripts] build or package.json scripts.build,
then package.json main, then src/index.ts or src/index.js. TypeScript works as is.

Options:
  --port <n>            port to listen on (default ${LOCAL_SERVER.port}; 0 picks a free one)
  --host <address>      interface to bind (default ${LOCAL_SERVER.host}, loopback only)
  --data <folder>       keep the stores in this folder between runs (default: in memory)
  --redis <url>         keep the stores in Redis or Valkey, shared with every process using it
                        (redis://[user:password@]host:port[/db], rediss:// for TLS); better: set
                        EDGE_KV_REDIS (a command line is visible to other users in ps)
  --fastly-toml <file>  the fastly.toml whose [local_server] stores to load (default ./fastly.toml)
  --max-metadata-bytes <n>
                        metadata limit of the KV stores (default 1000, Compute's; at most 69000)
  --watch               rebuild and reload the app when one of its files changes, or a file it
                        reads with includeBytes (stores are kept)
  --module <fastly:id=file>
                        serve a fastly:* module edge-kv does not provide (fastly:backend, ...) from
                        a file of the project, or replace one it does; repeatable:
                        --module fastly:geolocation=./dev/geolocation.js
  --wasm <file>         serve the app's compiled wasm (js-compute-runtime / fastly compute build) in
                        Fastly's own runtime instead of its JavaScript source (docs/wasm-host.md)
  -h, --help            show this help

edge-kv provides fastly:kv-store, fastly:config-store, fastly:dictionary, fastly:secret-store,
fastly:env and fastly:experimental (includeBytes reads files relative to the project folder).

Every request is logged as: METHOD /path STATUS time. The explorer page shows the stores at
/_edge-kv/; their REST API (Fastly, Apify and Telnyx dialects) is at /_edge-kv/api/.`;

export interface DevOptions {
  entry: string | undefined;
  port: number;
  host: string;
  data: string | undefined;
  /** --redis, or EDGE_KV_REDIS without --data: the Redis URL (credentials included; never printed). */
  redis?: string | undefined;
  /** Where `redis` came from, for the start-up line; or that EDGE_KV_REDIS was set but --data won. */
  redisFrom?: "--redis" | "EDGE_KV_REDIS" | "EDGE_KV_REDIS ignored" | undefined;
  fastlyToml: string | undefined;
  maxMetadataBytes: number | undefined;
  watch: boolean;
  /** Serve this compiled app (wasm) in the real runtime instead of the entry's source (edge-kv/wasm). */
  wasm?: string | undefined;
  /** Project folder (default: the working directory). */
  root: string;
  /** --module: fastly:* id → absolute path of the module serving it. */
  modules?: Record<string, string>;
}

/** Parses `dev` arguments; throws EdgeKvError saying what was wrong and what to do. */
export function parseDevArgs(args: string[], root = process.cwd(), env: Record<string, string | undefined> = process.env): DevOptions | "help" {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        data: { type: "string" },
        redis: { type: "string" },
        "fastly-toml": { type: "string" },
        "max-metadata-bytes": { type: "string" },
        watch: { type: "boolean" },
        wasm: { type: "string" },
        module: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new EdgeKvError(`dev: ${(error as Error).message}. Run 'edge-kv dev --help' for the options`);
  }
  const { values, positionals } = parsed;
  if (values.help) return "help";
  if (positionals.length > 1) throw new EdgeKvError(`dev: one entry at most, got ${positionals.length}: ${positionals.join(" ")}`);
  let port: number = LOCAL_SERVER.port;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new EdgeKvError(`dev: --port must be a number from 0 to 65535, got '${values.port}'`);
  }
  if (values.data === "") throw new EdgeKvError("dev: --data needs a folder path");
  if (values.redis === "") throw new EdgeKvError("dev: --redis needs a URL like redis://127.0.0.1:6379");
  if (values.redis !== undefined && values.data !== undefined) throw new EdgeKvError("dev: --data and --redis exclude each other; pick one");
  // EDGE_KV_REDIS (what `--import edge-kv/register` reads) keeps the password out of the command line; a flag wins over it.
  const fromEnv = env.EDGE_KV_REDIS === "" ? undefined : env.EDGE_KV_REDIS;
  const redis = values.redis ?? (values.data === undefined ? fromEnv : undefined);
  const redisFrom = values.redis !== undefined ? "--redis" : redis !== undefined ? "EDGE_KV_REDIS" : fromEnv !== undefined ? "EDGE_KV_REDIS ignored" : undefined;
  let fastlyToml: string | undefined;
  if (values["fastly-toml"] !== undefined) {
    fastlyToml = resolve(root, values["fastly-toml"]);
    if (!existsSync(fastlyToml)) throw new EdgeKvError(`dev: --fastly-toml names ${fastlyToml}, which does not exist`);
  } else if (existsSync(resolve(root, "fastly.toml"))) {
    fastlyToml = resolve(root, "fastly.toml");
  }
  let wasm: string | undefined;
  if (values.wasm !== undefined) {
    if (positionals.length > 0) throw new EdgeKvError(`dev: --wasm serves a compiled app; drop the entry (${positionals[0]}) or the --wasm option`);
    wasm = resolve(root, values.wasm);
    if (!existsSync(wasm)) throw new EdgeKvError(`dev: --wasm names ${wasm}, which does not exist (build it with: npx js-compute-runtime src/index.js ${values.wasm})`);
  }
  const modules = moduleMappings(values.module ?? [], root);
  if (values.wasm !== undefined && Object.keys(modules).length > 0) {
    throw new EdgeKvError("dev: --module maps the fastly:* imports of the app's source; a --wasm app is compiled and uses the runtime's own modules. Drop --module or --wasm");
  }
  return {
    wasm,
    modules,
    entry: positionals[0],
    port,
    host: values.host ?? LOCAL_SERVER.host,
    data: values.data === undefined ? undefined : resolve(root, values.data),
    redis,
    redisFrom,
    fastlyToml,
    maxMetadataBytes: values["max-metadata-bytes"] === undefined ? undefined : metadataLimit(values["max-metadata-bytes"], "dev: --max-metadata-bytes"),
    watch: values.watch === true,
    root,
  };
}

/** `--module fastly:id=./file.js` values: id → absolute path; each names an existing file, each id once. */
function moduleMappings(values: string[], root: string): Record<string, string> {
  const modules: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf("=");
    const id = equals === -1 ? value : value.slice(0, equals);
    const file = equals === -1 ? "" : value.slice(equals + 1);
    if (!/^fastly:[^=\s]+$/.test(id) || file === "") {
      throw new EdgeKvError(`dev: --module maps a fastly:* module to a file of the project, like --module fastly:geolocation=./geolocation.js; got '${value}'`);
    }
    if (Object.hasOwn(modules, id)) throw new EdgeKvError(`dev: --module maps ${id} twice; keep one`);
    const path = resolve(root, file);
    if (!existsSync(path)) throw new EdgeKvError(`dev: --module ${id}=${file}: ${path} does not exist`);
    if (statSync(path).isDirectory()) throw new EdgeKvError(`dev: --module ${id}=${file}: ${path} is a folder; name the module's file`);
    modules[id] = path;
  }
  return modules;
}

export interface DevServer {
  /** http://host:port of the app. */
  readonly url: string;
  readonly port: number;
  readonly entry: AppEntry;
  readonly registry: KVRegistry;
  readonly server: Server;
  /** Which stores came from where; fastly.toml warnings (unknown keys). */
  readonly notes: string[];
  readonly warnings: string[];
  /** Stops serving, waits (a little) for the app's pending work, closes the stores and the watcher. */
  close(): Promise<void>;
}

export interface DevOutput {
  log(line: string): void;
  error(message: string, error?: unknown): void;
}

/**
 * Request log lines are written once per turn of the event loop (one write for many requests under
 * load, at once for a single request); errors go to stderr as they happen.
 */
function consoleOutput(): DevOutput {
  let pending = "";
  const flush = () => {
    process.stdout.write(pending);
    pending = "";
  };
  return {
    log: (line) => {
      if (pending === "") setImmediate(flush);
      pending += `${line}\n`;
    },
    error: (message, error) => (error === undefined ? console.error(message) : console.error(message, error)),
  };
}

function describeMs(ms: number): string {
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

/** Builds the app, opens the stores, starts serving. Rejects (EdgeKvError) with a start-up error. */
export async function startDev(options: DevOptions, output: DevOutput = consoleOutput()): Promise<DevServer> {
  const entry: AppEntry = options.wasm !== undefined ? { path: options.wasm, source: "--wasm" } : findAppEntry(options.root, options.entry);
  const { registry, stateFile, createDriver, rest: restOptions, close: closeStores, notes, warnings, geolocation } = await openStores({
    data: options.data,
    redis: options.redis,
    fastlyToml: options.fastlyToml,
    maxMetadataBytes: options.maxMetadataBytes,
    raise: (bytes) => `edge-kv dev --max-metadata-bytes ${bytes}`,
  });
  installGlobals();
  process.setSourceMapsEnabled(true);
  // This process runs only the app: a request that is alone in flight needs no AsyncLocalStorage (context.ts),
  // and addEventListener keeps working after the app loaded, as on Compute.
  const releaseSolo = useSoloRequests();
  const removeAddEventListener = options.wasm === undefined ? installLateAddEventListener(() => listenerTarget(app)) : () => {};
  const entryName = relative(options.root, entry.path) || entry.path;
  const onError = (error: unknown, info: Pick<AppErrorInfo, "message" | "method" | "url" | "requestId">) => output.error(`${info.message} (${info.method} ${new URL(info.url).pathname}, request ${info.requestId})\n`, error);
  // --wasm: the compiled app in the real runtime (edge-kv/wasm, loaded only then); else the source, bundled.
  const bundler = options.wasm === undefined ? new AppBundler({ entry: entry.path, root: options.root, modules: options.modules ?? {} }) : null;
  // fastly:experimental's includeBytes reads the project's files, as the Compute build does from its folder;
  // with --watch a change to one of them rebuilds the app, as a change to its code does.
  const included = new Set<string>();
  const restoreReader = bundler === null ? () => {} : setIncludeBytesReader(projectFiles(options.root, (path) => included.add(path))!);
  const watchedIncludes = new Set<string>();
  const watchIncludes = () => {
    if (!options.watch || bundler === null) return;
    for (const path of included) {
      if (watchedIncludes.has(path)) continue;
      watchedIncludes.add(path);
      watchFile(path, { interval: 250 }, (now, before) => {
        if (now.mtimeMs !== before.mtimeMs || now.size !== before.size) bundler.rebuild();
      });
    }
  };
  const unwatchIncludes = () => {
    for (const path of watchedIncludes) unwatchFile(path);
    watchedIncludes.clear();
  };
  let app: App;
  let nextRequestId = 0;
  let reloads = Promise.resolve();

  const geolocationOptions = geolocation === undefined ? undefined : geolocationOption(geolocation, (message) => output.error(message));
  const load = (build: AppBuild) => loadApp(build.url, { fresh: false, onError, ...(geolocationOptions !== undefined && { geolocation: geolocationOptions }) });
  const reload = (outcome: AppBuild | AppBuildError) => {
    reloads = reloads.then(async () => {
      if (!("url" in outcome)) return output.error(`edge-kv dev: ${outcome.message.replace(/^edge-kv: /, "")}\n  (still serving the previous build)`);
      try {
        const previous = app;
        app = await load(outcome);
        watchIncludes();
        output.log(`reloaded ${entryName} (built in ${describeMs(outcome.ms)})`);
        void previous.close();
      } catch (error) {
        output.error(`edge-kv dev: ${entryName} failed to load; still serving the previous build:\n`, error);
      }
    });
  };

  try {
    if (bundler === null) {
      const { startWasmDevApp } = await import("../wasm/dev.js");
      const onReload = (message: string, error?: unknown) => (error === undefined ? output.log(message) : output.error(message, error));
      app = await startWasmDevApp({ wasm: entry.path, registry, fastlyToml: options.fastlyToml, onError, watch: options.watch, onReload }).catch(
        (error: unknown) => {
          throw new EdgeKvError(`dev: ${entryName} failed to load: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        },
      );
    } else {
      const build = options.watch ? await bundler.watch(reload) : await bundler.build();
      try {
        app = await load(build);
        watchIncludes();
      } catch (error) {
        throw new EdgeKvError(`dev: ${entryName} failed to load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`, { cause: error });
      }
    }
  } catch (error) {
    releaseSolo();
    removeAddEventListener();
    restoreReader();
    unwatchIncludes();
    await bundler?.close();
    await closeStores();
    throw error;
  }

  const rest = createRequestHandler({ registry, ...restOptions, ...(stateFile !== undefined && { stateFile }), ...(createDriver !== undefined && { createDriver }) });
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const target = req.url ?? "/";
    res.once("close", () => output.log(`${req.method} ${target} ${res.writableFinished ? res.statusCode : `${res.statusCode} (connection closed)`} ${describeMs(performance.now() - started)}`));
    // PLAN I5: /_edge-kv/ (the explorer) and /_edge-kv/api/ (the REST API) are edge-kv's, never the app's:
    // their store operations belong to no request of the app.
    if (isReservedPath(target.split("?", 1)[0]!)) {
      const outside = openOutsideScope();
      res.once("close", outside.close);
      return outside.run(() => rest(req, res));
    }
    serveApp(req, res, app, formatRequestId(nextRequestId++), output);
  };

  const server = createHttpServer({ keepAliveTimeout: 5000 }, handle);
  try {
    await listen(server, options.port, options.host);
  } catch (error) {
    releaseSolo();
    removeAddEventListener();
    restoreReader();
    unwatchIncludes();
    await bundler?.close();
    await closeStores();
    const code = (error as { code?: string }).code;
    if (code === "EADDRINUSE") {
      throw new EdgeKvError(`dev: port ${options.port} on ${options.host} is already in use (another edge-kv dev or fastly compute serve?); pick another with --port (0 picks a free one)`);
    }
    throw new EdgeKvError(`dev: cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`);
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    entry,
    registry,
    server,
    notes,
    warnings,
    close: () =>
      (closing ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        unwatchIncludes();
        await reloads;
        // The app's waitUntil work gets a moment to finish; then the stores close (fs drivers flush).
        await Promise.race([app.close(), new Promise((done) => setTimeout(done, 2000).unref())]);
        await bundler?.close();
        await closeStores();
        releaseSolo();
        removeAddEventListener();
        restoreReader();
      })()),
  };
}

function serveApp(req: IncomingMessage, res: ServerResponse, app: App, requestId: string, output: DevOutput): void {
  if (!hasBody(req)) return dispatchApp(req, res, app, requestId, undefined, output);
  readRequestBody(req).then(
    (body) => dispatchApp(req, res, app, requestId, body, output),
    () => res.destroy(), // the client went away while sending the body
  );
}

/**
 * Hands the request to the app; its response is sent from within the request (so a body the app streams
 * keeps the request going, and its stream runs as part of it). An app without the host's SERVE method
 * (another host's App) goes through its `fetch`.
 */
function dispatchApp(req: IncomingMessage, res: ServerResponse, app: App, requestId: string, body: Uint8Array<ArrayBuffer> | undefined, output: DevOutput): void {
  let request;
  try {
    request = lazyAppRequest(req, body);
  } catch (error) {
    if (res.headersSent || res.destroyed) return;
    return sendJson(res, 400, { error: `edge-kv dev: cannot turn this request into a Request: ${(error as Error).message}` });
  }
  const served: ServedRequest = {
    request,
    client: { address: req.socket.remoteAddress ?? null, requestId },
    server: { address: req.socket.localAddress ?? "127.0.0.1" },
    deliver: (response) =>
      sendResponse(res, response).catch((error: unknown) => {
        // The app's response body failed while streaming: the client sees a cut connection, the developer the error.
        output.error(`edge-kv dev: the response to ${req.method} ${req.url} failed while it was sent:\n`, error);
        res.destroy();
      }),
  };
  const servable = app as App & { [SERVE]?: (served: ServedRequest) => void };
  if (servable[SERVE] !== undefined) {
    try {
      return servable[SERVE](served);
    } catch (error) {
      // Not expected (requests go to the app being served, which is open): answer, do not crash the server.
      output.error(`edge-kv dev: the app could not take ${req.method} ${req.url}:\n`, error);
      return void res.writeHead(500, { "content-length": "0" }).end();
    }
  }
  app.fetch(request.create(), { client: served.client, server: served.server }).then((response) => served.deliver(response, false), (error: unknown) => {
    output.error(`edge-kv dev: the app did not answer ${req.method} ${req.url}:\n`, error);
    if (!res.headersSent) res.writeHead(500, { "content-length": "0" }).end();
    else res.destroy();
  });
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      done();
    });
  });
}

/** Runs `edge-kv dev <args>` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runDev(args: string[]): Promise<number> {
  const options = parseCommandArgs(() => parseDevArgs(args), USAGE);
  if (typeof options === "number") return options;
  let dev: DevServer;
  try {
    dev = await startDev(options);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  const entryName = relative(options.root, dev.entry.path) || dev.entry.path;
  const stores = dev.registry.storeNames();
  const where =
    options.redis !== undefined
      ? `in Redis at ${redactUrl(options.redis)}${options.redisFrom === "EDGE_KV_REDIS" ? " (EDGE_KV_REDIS)" : ""}`
      : options.data === undefined
        ? "in memory"
        : `in ${options.data}${options.redisFrom === "EDGE_KV_REDIS ignored" ? " (--data wins over EDGE_KV_REDIS)" : ""}`;
  process.stdout.write(`edge-kv dev: serving ${entryName} on ${dev.url}\n`);
  process.stdout.write(`  explorer: ${reservedLine(dev.url)}\n`);
  process.stdout.write(
    `  ${stores.length === 0 ? "no stores" : `${stores.join(", ")}`} ${where}${options.fastlyToml ? ` (from ${relative(options.root, options.fastlyToml) || options.fastlyToml})` : ""}; entry from ${dev.entry.source}${options.watch ? "; watching for changes" : ""}; Ctrl-C stops it\n`,
  );
  for (const [id, path] of Object.entries(options.modules ?? {})) process.stdout.write(`  ${id} from ${relative(options.root, path) || path} (--module)\n`);
  for (const note of dev.notes) process.stdout.write(`  ${note}\n`);
  for (const warning of dev.warnings) process.stderr.write(`${warning}\n`);
  await untilStopped(() => dev.close());
  return 0;
}

/**
 * The start-up line for /_edge-kv/: the explorer's and the REST API's URLs — at the loopback address
 * when bound to every address (both answer loopback clients only) — or why they cannot be reached.
 */
export function reservedLine(origin: string): string {
  const line = explorerLine(origin);
  return line.startsWith("http") ? `${line} (REST API: ${new URL(line).origin}/_edge-kv/api/)` : line;
}

export const command: Command = { name: "dev", run: runDev };
