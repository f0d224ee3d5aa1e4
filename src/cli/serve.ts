/**
 * `edge-kv serve` starts the local KV REST server (Fastly, Apify and Telnyx
 * dialects) on memory stores or on a data folder, optionally seeded from fastly.toml.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EdgeKvError } from "../errors.js";
import { createServer, explorerUrl, type RestServer } from "../server/index.js";
import { parseCommandArgs, untilStopped, type Command } from "./command.js";
import { openStores } from "./stores.js";

export { STATE_FILE_NAME } from "./stores.js";
export const DEFAULT_PORT = 7878;

const USAGE = `Usage: edge-kv serve [options]

Starts a local KV REST server speaking Fastly's KV API (/resources/stores/kv), plus Apify-style
(/v2/key-value-stores) and Telnyx-style (/v2/storage/kvs) dialects, over one set of stores.

Options:
  --port <n>            port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)
  --host <address>      interface to bind (default 127.0.0.1, loopback only)
  --data <folder>       keep stores in this folder (kept between runs); default: in memory
  --memory              keep stores in memory (the default)
  --fastly-toml <file>  define and seed the stores of [local_server.kv_stores] in this fastly.toml
  --store <name>        define an empty store (repeatable)
  --token <token>       require this token (Fastly-Key or Authorization: Bearer); also EDGE_KV_TOKEN.
                        Without one, any token is accepted
  -h, --help            show this help

The first line printed is "edge-kv REST server listening on <url>"; the second gives the explorer
page, <url>/_edge-kv/ (with #token=... when a token is required).`;

export interface ServeOptions {
  port: number;
  host: string;
  data: string | undefined;
  fastlyToml: string | undefined;
  stores: string[];
  token: string | undefined;
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
        "fastly-toml": { type: "string" },
        store: { type: "string", multiple: true },
        token: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    throw new EdgeKvError(`serve: ${(error as Error).message}. Run 'edge-kv serve --help' for the options`);
  }
  const { values } = parsed;
  if (values.help) return "help";
  if (values.memory && values.data !== undefined) throw new EdgeKvError("serve: --memory and --data exclude each other; pick one");
  let port = DEFAULT_PORT;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) throw new EdgeKvError(`serve: --port must be a number from 0 to 65535, got '${values.port}'`);
  }
  if (values.data === "") throw new EdgeKvError("serve: --data needs a folder path");
  const token = values.token ?? env.EDGE_KV_TOKEN;
  return {
    port,
    host: values.host ?? "127.0.0.1",
    data: values.data === undefined ? undefined : resolve(values.data),
    fastlyToml: values["fastly-toml"] === undefined ? undefined : resolve(values["fastly-toml"]),
    stores: values.store ?? [],
    token: token === "" ? undefined : token,
  };
}

/** Builds the registry the options describe and starts the server on it. */
export async function serve(options: ServeOptions): Promise<RestServer> {
  const { registry, stateFile, createDriver } = await openStores(options);
  return createServer({
    registry,
    host: options.host,
    port: options.port,
    ...(options.token !== undefined && { token: options.token }),
    ...(stateFile !== undefined && { stateFile }),
    ...(createDriver !== undefined && { createDriver }),
  });
}

/** Runs `edge-kv serve <args>` until SIGINT/SIGTERM; resolves with the exit code. */
export async function runServe(rest: string[]): Promise<number> {
  const options = parseCommandArgs(() => parseServeArgs(rest), USAGE);
  if (typeof options === "number") return options;
  let server: RestServer;
  try {
    server = await serve(options);
  } catch (error) {
    const code = (error as { code?: string }).code;
    const message =
      code === "EADDRINUSE"
        ? `edge-kv: port ${options.port} on ${options.host} is already in use; pick another with --port (0 picks a free one)`
        : (error as Error).message;
    process.stderr.write(`${message}\n`);
    return 1;
  }
  const where = options.data === undefined ? "memory stores" : `stores in ${options.data}`;
  process.stdout.write(`edge-kv REST server listening on ${server.url}\n`);
  process.stdout.write(`  explorer: ${explorerUrl(server.url, options.token)}\n`);
  process.stdout.write(`  ${where}; ${options.token === undefined ? "any token accepted" : "token required"}; Ctrl-C stops it\n`);
  await untilStopped(() => server.close());
  await import("../registry.js").then(({ getRegistry }) => getRegistry().reset());
  return 0;
}

export const command: Command = { name: "serve", run: runServe };
