/**
 * `edge-kv import STORE FILE`: NDJSON in Fastly's batch format, or a fastly.toml whole-store JSON
 * file, into a store. Every record is checked first (JSON, key rules, base64, TTL, the store's
 * metadata and value limits): one bad record is reported with its line and nothing is written. Then
 * the records are written in batches (through Fastly's batch endpoint with --url: all or nothing each).
 */
import type { StoreAdmin } from "../admin.js";
import { EdgeKvError } from "../errors.js";
import { UsageError, intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { readRecords, type NumberedRecord } from "./files.js";
import { startProgress } from "./progress.js";
import { recordProblem, recordToLine, writeRecord } from "./records.js";
import { BatchRefused, type FastlyClient } from "./remote.js";
import { TARGET_HELP, TARGET_OPTIONS, openLocal, remoteClient } from "./target.js";

const USAGE = `Usage: edge-kv import STORE FILE (--data <folder> | --url <url>) [options]

Writes the records of FILE into STORE (created when missing), overwriting keys that exist.
FILE is newline-delimited JSON as 'edge-kv export' writes it and Fastly's batch endpoint takes —
{"key", "value" (base64), "metadata"?, "time_to_live_sec"?} a line — or a JSON store file of
fastly.toml ({ "<key>": "<data>" | { "data" | "file", "metadata"? } }, chosen by a .json name).
Every record is checked before anything is written; a bad one is reported with its line number.

Options:
${TARGET_HELP}
  --batch-size <n>      records per batch (default 1000)
  --quiet               no progress on stderr
  -h, --help            show this help`;

export const command: Command = {
  name: "import",
  run: (args) =>
    runCommand("import", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("import", args, { ...TARGET_OPTIONS, "batch-size": { type: "string" }, quiet: { type: "boolean" } });
      const [store, file] = positionals("import", rest, ["store", "file"]);
      const batchSize = intOption("import", "batch-size", values["batch-size"], 1000, 1, 100_000);
      if ((values.data === undefined) === (values.url === undefined)) throw new UsageError("import: give exactly one of --data <folder> or --url <server url>");
      if (values.data !== undefined) {
        const { admin, registry, created } = openLocal(values.data, store!, { create: true });
        try {
          const count = await importLocal(admin, file!, batchSize, values.quiet);
          if (count === 0 && created) await registry.removeStore(store!); // nothing to keep: leave no empty folder
          process.stderr.write(`imported ${count} ${count === 1 ? "record" : "records"} into '${store}'\n`);
        } finally {
          await registry.reset();
        }
      } else {
        const client = remoteClient(values.url!, Number(values.retries ?? 5), Number(values.backoff ?? 500));
        const count = await importRemote(client, store!, file!, batchSize, values.quiet);
        process.stderr.write(`imported ${count} ${count === 1 ? "record" : "records"} into '${store}' on ${values.url}\n`);
      }
      return 0;
    }),
};

/** Reads the whole file once to check it; the count of records. Throws at the first bad one. */
async function checkFile(file: string, check?: (item: NumberedRecord) => string | null): Promise<number> {
  let count = 0;
  for await (const item of readRecords(file)) {
    const problem = check?.(item);
    if (problem) throw new EdgeKvError(`${file} line ${item.line}: ${problem}; nothing was imported`);
    count++;
  }
  return count;
}

async function* batches(file: string, size: number): AsyncGenerator<NumberedRecord[]> {
  let batch: NumberedRecord[] = [];
  for await (const item of readRecords(file)) {
    batch.push(item);
    if (batch.length === size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

export async function importLocal(admin: StoreAdmin, file: string, batchSize: number, quiet?: boolean): Promise<number> {
  const total = await checkFile(file, (item) => recordProblem(item.record, admin.core.settings));
  const progress = startProgress(`importing into ${admin.name}`, total, { quiet: quiet || total < 1000 });
  let written = 0;
  for await (const batch of batches(file, batchSize)) {
    for (const { record } of batch) await writeRecord(admin, record);
    written += batch.length;
    progress.add(batch.length);
  }
  progress.stop();
  return written;
}

async function importRemote(client: FastlyClient, store: string, file: string, batchSize: number, quiet?: boolean): Promise<number> {
  const total = await checkFile(file);
  const id = (await client.storeIdByName(store)) ?? (await client.createStore(store));
  const progress = startProgress(`importing into ${store}`, total, { quiet: quiet || total < 1000 });
  let written = 0;
  try {
    for await (const batch of batches(file, batchSize)) {
      try {
        await client.batch(id, batch.map((item) => recordToLine(item.record)));
      } catch (error) {
        if (!(error instanceof BatchRefused)) throw error;
        const first = error.errors[0];
        const where = first === undefined ? "" : ` line ${batch[first.index]?.line}: ${first.reason}`;
        throw new EdgeKvError(`${file}${where}. ${written} records before this batch of ${batch.length} were imported; this batch and the rest were not`);
      }
      written += batch.length;
      progress.add(batch.length);
    }
  } finally {
    progress.stop();
  }
  return written;
}
