/** `edge-kv export STORE`: a store's entries as NDJSON in Fastly's batch format (values base64, TTL left). */
import { Readable } from "node:stream";
import { recordToLine, exportRecords } from "./records.js";
import { parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { Output } from "./files.js";
import { startProgress } from "./progress.js";
import { TARGET_HELP, TARGET_OPTIONS, edgeKvApiPath, openLocal, remoteClient } from "./target.js";
import { UsageError } from "./args.js";

const USAGE = `Usage: edge-kv export STORE (--data <folder> | --url <url>) [options]

Writes the live entries of STORE as newline-delimited JSON, one entry a line, in the format of
Fastly's batch endpoint: {"key", "value" (base64), "metadata"?, "time_to_live_sec"?}. The TTL is the
time left, in whole seconds rounded up. 'edge-kv import' and 'edge-kv push --file' read it back.

Options:
${TARGET_HELP}
  --prefix <prefix>     only keys starting with this
  -o, --output <file>   write to this file (replaced only once the export is complete); default stdout
  --quiet               no progress on stderr
  -h, --help            show this help`;

export const command: Command = {
  name: "export",
  run: (args) =>
    runCommand("export", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("export", args, { ...TARGET_OPTIONS, prefix: { type: "string" }, output: { type: "string", short: "o" }, quiet: { type: "boolean" } });
      const [store] = positionals("export", rest, ["store"]);
      if ((values.data === undefined) === (values.url === undefined)) throw new UsageError("export: give exactly one of --data <folder> or --url <server url>");
      const output = new Output(values.output);
      try {
        const count = values.data !== undefined ? await exportLocal(values.data, store!, values.prefix, output, values.quiet) : await exportRemote(values, store!, values.prefix, output);
        await output.commit();
        if (values.output !== undefined) process.stderr.write(`exported ${count} ${count === 1 ? "entry" : "entries"} of '${store}' to ${values.output}\n`);
        return 0;
      } catch (error) {
        output.abort();
        throw error;
      }
    }),
};

async function exportLocal(folder: string, store: string, prefix: string | undefined, output: Output, quiet?: boolean): Promise<number> {
  const { admin, registry } = openLocal(folder, store);
  try {
    let total = 0;
    await admin.core.scanAll(() => void total++, prefix || undefined);
    const progress = startProgress(`exporting ${store}`, total, { quiet: quiet || total < 1000 });
    let count = 0;
    for await (const record of exportRecords(admin, prefix)) {
      await output.write(`${recordToLine(record)}\n`);
      count++;
      progress.add();
    }
    progress.stop();
    return count;
  } finally {
    await registry.reset();
  }
}

/** Through the server's /_edge-kv/api export endpoint (Fastly's own API has no export). */
async function exportRemote(values: { url?: string; retries?: string; backoff?: string }, store: string, prefix: string | undefined, output: Output): Promise<number> {
  const client = remoteClient(values.url!, Number(values.retries ?? 5), Number(values.backoff ?? 500));
  const query = prefix ? `?prefix=${encodeURIComponent(prefix)}` : "";
  const response = await client.request("GET", edgeKvApiPath(client, `/stores/${encodeURIComponent(store)}/export${query}`));
  for await (const chunk of Readable.fromWeb(response.body! as import("node:stream/web").ReadableStream<Uint8Array>)) await output.write(chunk as Uint8Array);
  return Number(response.headers.get("edge-kv-records") ?? 0);
}
