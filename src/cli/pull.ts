/**
 * `edge-kv pull --store-id ID`: copies a live Fastly KV store (or any server speaking Fastly's KV
 * API, `--api-url`) into a store of a local data folder, or into a file (NDJSON, or a fastly.toml
 * JSON store file when the name ends in .json). Page by page, with the API's own cursor; after each
 * page a state file records where it got to, so a run that was interrupted (Ctrl-C, a dropped
 * network, a rate limit that outlasted the retries) resumes there when started again.
 */
import { appendFileSync, closeSync, createReadStream, mkdirSync, openSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import type { StoreAdmin } from "../admin.js";
import { EdgeKvError } from "../errors.js";
import { decodeUtf8Strict, isValidUtf8 } from "../utf8.js";
import { UsageError, intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { Output, StateFile } from "./files.js";
import { startProgress } from "./progress.js";
import { parseRecordLine, recordToLine, type TransferRecord } from "./records.js";
import { FASTLY_API_URL, FastlyClient } from "./remote.js";
import { openLocal } from "./target.js";

const USAGE = `Usage: edge-kv pull --store-id <id> (--data <folder> [STORE] | -o <file>) [options]

Copies every key of a Fastly KV store into a local store (a store of a data folder, named STORE or
after the remote store) or into a file: newline-delimited JSON (as 'edge-kv export' writes), or a
fastly.toml JSON store file when the name ends in .json. The token comes from FASTLY_API_TOKEN.
Fastly's API does not tell a key's TTL, so pulled keys have none.

An interrupted pull resumes where it stopped when run again with the same arguments.

Options:
  --store-id <id>       the Fastly KV store to copy (see 'fastly kv-store list')
  --data <folder>       write into a store of this data folder
  -o, --output <file>   write into this file (.json: fastly.toml store file; else NDJSON)
  --prefix <prefix>     only keys starting with this
  --api-url <url>       the API to read (default ${FASTLY_API_URL}); an 'edge-kv serve' URL works too
  --state <file>        where to keep progress (default: next to the output)
  --restart             ignore saved progress and start from the first key
  --concurrency <n>     values fetched at once (default 8)
  --retries <n>         retries of a request after a 429, 5xx or dropped connection (default 8)
  --backoff <ms>        first wait between retries, doubled each time (default 500)
  --quiet               no progress on stderr
  -h, --help            show this help`;

interface PullState {
  kind: "pull";
  storeId: string;
  apiUrl: string;
  prefix: string;
  target: string;
  /** The cursor after the last page fully written; null before the first. */
  cursor: string | null;
  pulled: number;
  /** Bytes of the partial output file that hold the pulled pages. */
  partialBytes: number;
}

export const command: Command = {
  name: "pull",
  run: (args) =>
    runCommand("pull", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("pull", args, {
        "store-id": { type: "string" },
        data: { type: "string" },
        output: { type: "string", short: "o" },
        prefix: { type: "string" },
        "api-url": { type: "string" },
        state: { type: "string" },
        restart: { type: "boolean" },
        concurrency: { type: "string" },
        retries: { type: "string" },
        backoff: { type: "string" },
        quiet: { type: "boolean" },
      });
      const [localName] = positionals("pull", rest, ["store"], 1);
      const storeId = values["store-id"];
      if (!storeId) throw new UsageError("pull: --store-id <id> is required (the id of the Fastly KV store to copy)");
      if ((values.data === undefined) === (values.output === undefined)) throw new UsageError("pull: give exactly one of --data <folder> or -o <file>");
      if (localName !== undefined && values.data === undefined) throw new UsageError("pull: a STORE name goes with --data");
      const client = fastlyClient("pull", values["api-url"], values.retries, values.backoff);
      const concurrency = intOption("pull", "concurrency", values.concurrency, 8, 1, 64);
      const prefix = values.prefix ?? "";

      const output = values.output === undefined ? undefined : resolve(values.output);
      const storeName = values.data === undefined ? undefined : (localName ?? (await client.storeName(storeId)));
      const target = output !== undefined ? `file:${output}` : `data:${resolve(values.data!)}#${storeName}`;
      const stateFile = new StateFile<PullState>(values.state ?? (output !== undefined ? `${output}.pull-state.json` : join(values.data!, `.edge-kv-pull-${storeId}.json`)));
      let state = values.restart ? null : stateFile.read();
      if (state !== null && (state.kind !== "pull" || state.storeId !== storeId || state.target !== target || state.prefix !== prefix)) {
        throw new UsageError(`pull: ${stateFile.path} holds the progress of another pull (${state.storeId} into ${state.target}); use the same arguments, pass --restart, or --state <another file>`);
      }
      if (state !== null) process.stderr.write(`resuming: ${state.pulled} keys were pulled before\n`);
      state ??= { kind: "pull", storeId, apiUrl: client.options.apiUrl, prefix, target, cursor: null, pulled: 0, partialBytes: 0 };

      const partial = output === undefined ? undefined : `${output}.partial`;
      let local: { admin: StoreAdmin; close: () => Promise<void> } | undefined;
      if (partial !== undefined) {
        mkdirSync(dirname(partial), { recursive: true });
        closeSync(openSync(partial, "a"));
        truncateSync(partial, state.partialBytes); // drop a page that was half written when the last run stopped
      } else {
        const opened = openLocal(values.data!, storeName!, { create: true });
        local = { admin: opened.admin, close: () => opened.registry.reset() };
      }

      const progress = startProgress(`pulling ${storeId}`, null, { quiet: values.quiet });
      progress.add(state.pulled);
      try {
        do {
          const page = await client.listKeys(storeId, { ...(prefix && { prefix }), ...(state.cursor !== null && { cursor: state.cursor }) });
          const records = await fetchAll(client, storeId, page.keys, concurrency);
          if (local !== undefined) {
            for (const record of records) await local.admin.put(record.key, record.value, record.metadata === undefined ? {} : { metadata: record.metadata });
          } else if (records.length > 0) {
            appendFileSync(partial!, records.map((record) => `${recordToLine(record)}\n`).join(""));
          }
          state = { ...state, cursor: page.cursor ?? null, pulled: state.pulled + records.length, partialBytes: partial === undefined ? 0 : statSync(partial).size };
          stateFile.write(state);
          progress.add(records.length);
          if (page.cursor === undefined) break;
        } while (true);
      } finally {
        progress.stop();
        await local?.close();
      }
      if (output !== undefined) {
        if (/\.json$/i.test(output)) await writeJsonStore(partial!, output);
        else renameSync(partial!, output);
      }
      stateFile.remove();
      if (partial !== undefined) rmSync(partial, { force: true });
      process.stderr.write(`pulled ${state.pulled} ${state.pulled === 1 ? "key" : "keys"} from ${storeId} into ${output ?? `store '${storeName}' in ${values.data}`}\n`);
      return 0;
    }),
};

/** The Fastly client of pull/push: token from FASTLY_API_TOKEN (required for api.fastly.com). */
export function fastlyClient(name: string, apiUrl: string | undefined, retries: string | undefined, backoff: string | undefined): FastlyClient {
  const url = apiUrl ?? FASTLY_API_URL;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`${name}: --api-url must be an http(s) URL, got '${url}'`);
  const token = process.env.FASTLY_API_TOKEN || undefined;
  if (token === undefined && apiUrl === undefined) throw new UsageError(`${name}: set FASTLY_API_TOKEN to an API token that may read and write the KV store`);
  return new FastlyClient({
    apiUrl: url,
    token,
    retries: intOption(name, "retries", retries, 8, 0, 100),
    backoffMs: intOption(name, "backoff", backoff, 500, 0, 600_000),
    onWait: (message) => process.stderr.write(`${message}\n`),
  });
}

/** The items of `keys`, in order, `concurrency` at a time; keys deleted meanwhile are left out. */
async function fetchAll(client: FastlyClient, storeId: string, keys: string[], concurrency: number): Promise<TransferRecord[]> {
  const out: (TransferRecord | null)[] = new Array(keys.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < keys.length) {
      const index = next++;
      const item = await client.getItem(storeId, keys[index]!);
      if (item !== null) out[index] = { key: keys[index]!, value: item.value, ...(item.metadata !== undefined && { metadata: item.metadata }) };
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, keys.length) }, worker));
  return out.filter((record): record is TransferRecord => record !== null);
}

/**
 * NDJSON → a fastly.toml JSON store file, streamed, keys in order. Values that are not UTF-8 text go
 * into files beside it (`<name>.files/<n>.bin`), referenced with `file`.
 */
async function writeJsonStore(ndjson: string, path: string): Promise<void> {
  const output = new Output(path);
  const filesFolder = join(dirname(path), `${basename(path).replace(/\.json$/i, "")}.files`);
  let first = true;
  let binaries = 0;
  try {
    await output.write("{");
    let line = 0;
    for await (const text of createInterface({ input: createReadStream(ndjson, "utf8"), crlfDelay: Infinity })) {
      const record = parseRecordLine(text, ++line);
      if (record === null) continue;
      let entry: Record<string, string>;
      const data = utf8(record.value);
      if (data !== null) entry = { data };
      else {
        mkdirSync(filesFolder, { recursive: true });
        const name = `${++binaries}.bin`;
        writeFileSync(join(filesFolder, name), record.value);
        entry = { file: `${basename(filesFolder)}/${name}` };
      }
      if (record.metadata !== undefined) entry.metadata = record.metadata;
      const value = Object.keys(entry).length === 1 && entry.data !== undefined ? JSON.stringify(entry.data) : JSON.stringify(entry);
      await output.write(`${first ? "" : ","}\n  ${JSON.stringify(record.key)}: ${value}`);
      first = false;
    }
    await output.write(first ? "}\n" : "\n}\n");
    await output.commit();
  } catch (error) {
    output.abort();
    throw error instanceof EdgeKvError ? error : new EdgeKvError(`writing ${path}: ${(error as Error).message}`);
  }
}

/** The bytes as text (a leading U+FEFF kept: it is data), or null when they are not UTF-8. */
function utf8(bytes: Uint8Array): string | null {
  return isValidUtf8(bytes) ? decodeUtf8Strict(bytes) : null;
}
