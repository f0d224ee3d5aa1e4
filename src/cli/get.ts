/** `edge-kv get STORE KEY`: a value to stdout (or a file), from a data folder or a running server. */
import { writeFileSync } from "node:fs";
import { parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { TARGET_HELP, TARGET_OPTIONS, openTarget } from "./target.js";

const USAGE = `Usage: edge-kv get STORE KEY (--data <folder> | --url <url>) [options]

Writes the value of KEY to stdout. Exit code 1 when the key does not exist.

Options:
${TARGET_HELP}
  -o, --output <file>   write the value to this file instead of stdout
  --info                print size, generation, metadata and expiry as JSON on stderr
  -h, --help            show this help`;

export const command: Command = {
  name: "get",
  run: (args) =>
    runCommand("get", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("get", args, { ...TARGET_OPTIONS, output: { type: "string", short: "o" }, info: { type: "boolean" } });
      const [store, key] = positionals("get", rest, ["store", "key"]);
      const target = await openTarget("get", values, store!);
      try {
        const entry = await target.get(key!);
        if (entry === null) {
          process.stderr.write(`edge-kv get: key '${key}' does not exist in ${target.description}\n`);
          return 1;
        }
        if (values.info) {
          const info = { size: entry.value.byteLength, generation: entry.generation, metadata: entry.metadata ?? null, ...(entry.expiresAt !== undefined && { expiresAt: entry.expiresAt === null ? null : new Date(entry.expiresAt).toISOString() }) };
          process.stderr.write(`${JSON.stringify(info)}\n`);
        }
        if (values.output !== undefined) writeFileSync(values.output, entry.value);
        else await new Promise<void>((resolve, reject) => process.stdout.write(entry.value, (error) => (error ? reject(error) : resolve())));
        return 0;
      } finally {
        await target.close();
      }
    }),
};
