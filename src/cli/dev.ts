/**
 * `edge-kv dev [entry]`: serves a Compute app locally, the way `fastly compute serve` does, without
 * building wasm — the app's own entry runs in-process through edge-kv/host (`loadApp(...).fetch`, the
 * path tests use) on stores from ./fastly.toml. `/_edge-kv/` is reserved: the explorer page is there and
 * the REST API of every dialect at /_edge-kv/api/ (the handler of `edge-kv serve`).
 */
import { unwatchFile, watchFile } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { relative } from "node:path";
import { EdgeKvError } from "../errors.js";
import { geolocationOption } from "../node/fastly-toml-geolocation.js";
import { SERVE, listenerTarget, loadApp, type App, type ServedRequest } from "../host/app.js";
import { openOutsideScope, useSoloRequests } from "../host/context.js";
import type { AppErrorInfo } from "../host/fetch-event.js";
import { formatRequestId } from "../host/messages.js";
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
import { DEV_USAGE, parseDevArgs, type DevOptions } from "./dev-args.js";
import { openStores } from "./stores.js";

export { parseDevArgs, type DevOptions } from "./dev-args.js";

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
  /** Undoes what start-up did so far (a start that fails leaves nothing installed or open). */
  const abandon = async () => {
    releaseSolo();
    removeAddEventListener();
    restoreReader();
    unwatchIncludes();
    await bundler?.close();
    await closeStores();
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
    await abandon();
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
    await abandon();
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
  const options = parseCommandArgs(() => parseDevArgs(args), DEV_USAGE);
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
