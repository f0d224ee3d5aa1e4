/**
 * `edge-kv dev`'s command line: its usage text and the options it parses (entry, port, host, stores,
 * --module mappings, --watch, --wasm), with an error saying what was wrong for each bad one.
 */
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { EdgeKvError } from "../errors.js";
import { LOCAL_SERVER } from "../host/messages.js";
import { metadataLimit } from "../node/fastly-toml.js";
import { chooseRedis, type RedisSource } from "./redis-registry.js";

export const DEV_USAGE = `Usage: edge-kv dev [entry] [options]

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
  redisFrom?: RedisSource | undefined;
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
  const { redis, redisFrom } = chooseRedis(values.redis, values.data !== undefined, env);
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
