/**
 * `edge-kv push --store-id ID`: copies a local store (a store of a data folder, or an export file)
 * to a live Fastly KV store through Fastly's batch endpoint, in key order. After each batch the state
 * file records the last key (or line) sent, so an interrupted push resumes after it.
 */
import { join, resolve } from "node:path";
import { EdgeKvError } from "../errors.js";
import { UsageError, intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { StateFile, readRecords } from "./files.js";
import { startProgress } from "./progress.js";
import { exportRecords, recordToLine, type TransferRecord } from "./records.js";
import { BatchRefused, FASTLY_API_URL } from "./remote.js";
import { fastlyClient } from "./pull.js";
import { openLocal } from "./target.js";

const USAGE = `Usage: edge-kv push --store-id <id> (--data <folder> STORE | --file <file>) [options]

Writes every entry of a local store — STORE of a data folder, or an export file (NDJSON or a
fastly.toml JSON store file) — into a Fastly KV store through its batch endpoint, overwriting keys
that exist there. Entries keep their metadata and the TTL they have left. The token comes from
FASTLY_API_TOKEN. An interrupted push resumes after the last batch sent when run again.

Options:
  --store-id <id>       the Fastly KV store to write
  --data <folder>       read STORE from this data folder
  --file <file>         read the entries of this file instead
  --prefix <prefix>     only keys starting with this
  --api-url <url>       the API to write (default ${FASTLY_API_URL}); an 'edge-kv serve' URL works too
  --state <file>        where to keep progress (default: next to the source)
  --restart             ignore saved progress and start from the first key
  --batch-size <n>      entries per batch request (default 1000)
  --retries <n>         retries of a request after a 429, 5xx or dropped connection (default 8)
  --backoff <ms>        first wait between retries, doubled each time (default 500)
  --quiet               no progress on stderr
  -h, --help            show this help`;

interface PushState {
  kind: "push";
  storeId: string;
  source: string;
  prefix: string;
  /** Last key (data folder source) or line (file source) of the last batch accepted. */
  lastKey: string | null;
  lastLine: number;
  pushed: number;
}

const MAX_BATCH_BYTES = 8 * 1024 * 1024;

export const command: Command = {
  name: "push",
  run: (args) =>
    runCommand("push", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("push", args, {
        "store-id": { type: "string" },
        data: { type: "string" },
        file: { type: "string" },
        prefix: { type: "string" },
        "api-url": { type: "string" },
        state: { type: "string" },
        restart: { type: "boolean" },
        "batch-size": { type: "string" },
        retries: { type: "string" },
        backoff: { type: "string" },
        quiet: { type: "boolean" },
      });
      const [storeName] = positionals("push", rest, ["store"], 1);
      const storeId = values["store-id"];
      if (!storeId) throw new UsageError("push: --store-id <id> is required (the id of the Fastly KV store to write)");
      if ((values.data === undefined) === (values.file === undefined)) throw new UsageError("push: give exactly one of --data <folder> STORE or --file <file>");
      if (values.data !== undefined && storeName === undefined) throw new UsageError("push: name the STORE of the data folder to push");
      const batchSize = intOption("push", "batch-size", values["batch-size"], 1000, 1, 10_000);
      const client = fastlyClient("push", values["api-url"], values.retries, values.backoff);
      const prefix = values.prefix ?? "";
      const source = values.file !== undefined ? `file:${resolve(values.file)}` : `data:${resolve(values.data!)}#${storeName}`;
      const stateFile = new StateFile<PushState>(values.state ?? (values.file !== undefined ? `${values.file}.push-state.json` : join(values.data!, `.edge-kv-push-${storeId}.json`)));
      let state = values.restart ? null : stateFile.read();
      if (state !== null && (state.kind !== "push" || state.storeId !== storeId || state.source !== source || state.prefix !== prefix)) {
        throw new UsageError(`push: ${stateFile.path} holds the progress of another push (${state.source} to ${state.storeId}); use the same arguments, pass --restart, or --state <another file>`);
      }
      if (state !== null) process.stderr.write(`resuming: ${state.pushed} entries were pushed before\n`);
      state ??= { kind: "push", storeId, source, prefix, lastKey: null, lastLine: 0, pushed: 0 };
      await client.storeName(storeId); // fails early, and clearly, for an unknown store id

      // The entries still to send, each with where it came from (its key, or its line).
      let total: number;
      let entries: AsyncIterable<{ record: TransferRecord; line: number }>;
      let close = async () => {};
      if (values.file !== undefined) {
        const file = values.file;
        total = 0;
        for await (const item of readRecords(file)) if (item.record.key.startsWith(prefix)) total++; // checks every line first
        const after = state.lastLine;
        entries = (async function* () {
          for await (const item of readRecords(file)) if (item.line > after && item.record.key.startsWith(prefix)) yield item;
        })();
      } else {
        const { admin, registry } = openLocal(values.data!, storeName!);
        close = () => registry.reset();
        total = 0;
        await admin.core.scanAll(() => void total++, prefix || undefined);
        const after = state.lastKey ?? undefined;
        entries = (async function* () {
          for await (const record of exportRecords(admin, prefix || undefined, after === undefined ? {} : { after })) yield { record, line: 0 };
        })();
      }

      const progress = startProgress(`pushing to ${storeId}`, total, { quiet: values.quiet });
      progress.add(state.pushed);
      let batch: { record: TransferRecord; line: number; text: string }[] = [];
      let bytes = 0;
      const send = async () => {
        if (batch.length === 0) return;
        try {
          await client.batch(storeId, batch.map((item) => item.text));
        } catch (error) {
          if (!(error instanceof BatchRefused)) throw error;
          const first = error.errors[0];
          const item = first === undefined ? undefined : batch[first.index];
          const where = item === undefined ? "" : ` at key ${JSON.stringify(item.record.key)}${item.line ? ` (line ${item.line})` : ""}: ${first!.reason}`;
          throw new EdgeKvError(`the API refused a batch${where}. ${state!.pushed} entries were pushed before it; fix the entry and run again to resume`);
        }
        const last = batch[batch.length - 1]!;
        state = { ...state!, lastKey: last.record.key, lastLine: last.line, pushed: state!.pushed + batch.length };
        stateFile.write(state);
        progress.add(batch.length);
        batch = [];
        bytes = 0;
      };
      try {
        for await (const { record, line } of entries) {
          const text = recordToLine(record);
          if (batch.length > 0 && bytes + text.length > MAX_BATCH_BYTES) await send();
          batch.push({ record, line, text });
          bytes += text.length + 1;
          if (batch.length >= batchSize) await send();
        }
        await send();
      } finally {
        progress.stop();
        await close();
      }
      stateFile.remove();
      process.stderr.write(`pushed ${state.pushed} ${state.pushed === 1 ? "entry" : "entries"} to ${storeId}\n`);
      return 0;
    }),
};
