/**
 * Where a data command reads and writes: a store in a local data folder (`--data DIR`, the folder
 * `edge-kv serve --data` uses; safe while that server runs), or a store on a running server
 * (`--url URL`, by name, through Fastly's KV API; token from EDGE_KV_TOKEN or FASTLY_API_TOKEN).
 */
import type { StoreAdmin } from "../admin.js";
import { EdgeKvError, KVError } from "../errors.js";
import { fileSystemStores } from "../node/index.js";
import { KVRegistry } from "../registry.js";
import { storesInFolder } from "./data-folder.js";
import { UsageError } from "./args.js";
import { FastlyClient } from "./remote.js";
import { EXPLORER_API_PREFIX } from "../explorer/page.js";
import { isLoopbackHost } from "../server/auth.js";

export const TARGET_OPTIONS = {
  data: { type: "string" },
  url: { type: "string" },
  retries: { type: "string" },
  backoff: { type: "string" },
} as const;

export const TARGET_HELP = `  --data <folder>       a local data folder (as used by 'edge-kv serve --data')
  --url <url>           a running edge-kv serve or edge-kv dev, at the address it prints (token from
                        EDGE_KV_TOKEN or FASTLY_API_TOKEN)`;

export interface EntryView {
  value: Uint8Array;
  metadata: string | undefined;
  generation: number;
  expiresAt: number | null | undefined;
}

export interface PutOptions {
  metadata?: string;
  ttl?: number;
  mode?: "overwrite" | "add" | "append" | "prepend";
  ifGenerationMatch?: number;
}

export interface Target {
  readonly description: string;
  get(key: string): Promise<EntryView | null>;
  put(key: string, value: Uint8Array, options: PutOptions): Promise<void>;
  /** Resolves false when there was no such key. */
  delete(key: string, options: { ifGenerationMatch?: number }): Promise<boolean>;
  list(options: { prefix?: string; cursor?: string; limit: number }): Promise<{ keys: string[]; cursor: string | undefined }>;
  close(): Promise<void>;
}

/** A store in a data folder; `create` defines it when the folder has no such store yet. */
export function openLocal(folder: string, store: string, options: { create?: boolean } = {}): { admin: StoreAdmin; registry: KVRegistry; created: boolean } {
  const existing = storesInFolder(folder);
  const created = !existing.includes(store);
  if (created && !options.create) {
    throw new EdgeKvError(`store '${store}' is not in ${folder} (${existing.length ? `stores there: ${existing.join(", ")}` : "it holds no stores"})`);
  }
  const registry = new KVRegistry({ createDriver: fileSystemStores(folder) });
  return { admin: registry.defineStore(store), registry, created };
}

export function localTarget(folder: string, store: string, options: { create?: boolean } = {}): Target {
  const { admin, registry } = openLocal(folder, store, options);
  return {
    description: `store '${store}' in ${folder}`,
    async get(key) {
      const record = await admin.inspect(key);
      if (record === null) return null;
      return { value: record.value, metadata: record.metadataText ?? undefined, generation: record.generation, expiresAt: record.expiresAt?.getTime() ?? null };
    },
    async put(key, value, options) {
      await admin.put(key, value, options);
    },
    async delete(key, options) {
      return admin.delete(key, { ...options, force: true });
    },
    async list(options) {
      const page = await admin.keys(options);
      return { keys: page.items.map((item) => item.key), cursor: page.cursor };
    },
    close: () => registry.reset(),
  };
}

/**
 * Where Fastly's KV API is on the edge-kv server at `url`. `edge-kv dev` serves the app at its root and
 * the API under /_edge-kv/api/ — which `edge-kv serve` also has, for clients on its machine — so a
 * loopback address (the one either command prints) is reached through that prefix; any other address
 * at its root (the prefix answers loopback clients only). A URL already naming the prefix is kept.
 */
export function serverApiUrl(url: string): string {
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL such as http://127.0.0.1:7878, got '${url}'`);
  const base = url.replace(/\/+$/, "");
  if (base.endsWith(EXPLORER_API_PREFIX)) return base;
  let host: string;
  try {
    host = new URL(base).hostname;
  } catch {
    throw new UsageError(`--url must be an http(s) URL such as http://127.0.0.1:7878, got '${url}'`);
  }
  return isLoopbackHost(host) ? `${base}${EXPLORER_API_PREFIX}` : base;
}

/** A path of edge-kv's own API (`/stores/...`, beside Fastly's under /_edge-kv/api/) for `client`. */
export function edgeKvApiPath(client: FastlyClient, path: string): string {
  return client.options.apiUrl.endsWith(EXPLORER_API_PREFIX) ? path : `${EXPLORER_API_PREFIX}${path}`;
}

export function remoteClient(url: string, retries: number, backoffMs: number, token = process.env.EDGE_KV_TOKEN || process.env.FASTLY_API_TOKEN): FastlyClient {
  return new FastlyClient({ apiUrl: serverApiUrl(url), token, retries, backoffMs, onWait: (message) => process.stderr.write(`${message}\n`) });
}

export async function remoteTarget(client: FastlyClient, store: string): Promise<Target & { id: string }> {
  const id = await client.storeIdByName(store);
  const server = client.options.apiUrl.replace(new RegExp(`${EXPLORER_API_PREFIX}$`), ""); // the address as the server prints it
  if (id === null) throw new EdgeKvError(`store '${store}' does not exist on ${server}`);
  return {
    id,
    description: `store '${store}' on ${server}`,
    async get(key) {
      const item = await client.getItem(id, key);
      return item === null ? null : { ...item, expiresAt: undefined };
    },
    async put(key, value, options) {
      try {
        await client.putItem(id, key, value, options);
      } catch (error) {
        if (/ answered 412/.test((error as Error).message)) throw new KVError("precondition-failed", `precondition failed: key '${key}' ${options.mode === "add" ? "exists" : "has another generation"}`);
        throw error;
      }
    },
    async delete(key, options) {
      try {
        return await client.deleteItem(id, key, options);
      } catch (error) {
        if (/ answered 412/.test((error as Error).message)) throw new KVError("precondition-failed", `precondition failed: key '${key}' has another generation`);
        throw error;
      }
    },
    list: (options) => client.listKeys(id, options),
    close: async () => {},
  };
}

/** The target the options name (exactly one of --data / --url). */
export async function openTarget(name: string, values: { data?: string; url?: string; retries?: string; backoff?: string }, store: string, options: { create?: boolean } = {}): Promise<Target> {
  if ((values.data === undefined) === (values.url === undefined)) throw new UsageError(`${name}: give exactly one of --data <folder> or --url <server url>`);
  if (values.data !== undefined) return localTarget(values.data, store, options);
  return remoteTarget(remoteClient(values.url!, Number(values.retries ?? 5), Number(values.backoff ?? 500)), store);
}
