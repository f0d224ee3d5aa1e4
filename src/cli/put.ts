/** `edge-kv put STORE KEY [VALUE]`: writes one value (from the argument, a file or stdin). */
import { readFileSync } from "node:fs";
import { KVError } from "../errors.js";
import { UsageError, intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { TARGET_HELP, TARGET_OPTIONS, openTarget, type PutOptions } from "./target.js";

const USAGE = `Usage: edge-kv put STORE KEY [VALUE] (--data <folder> | --url <url>) [options]

Writes VALUE (or the bytes of --file, or stdin when neither is given) under KEY.
Exit code 1 when a condition (--mode add, --if-generation-match) fails; nothing is written then.

Options:
${TARGET_HELP}
  --file <file>                   the value is the bytes of this file
  --metadata <text>               metadata to store with the value
  --ttl <seconds>                 expire the entry after this many seconds
  --mode <mode>                   overwrite (default), add, append or prepend
  --if-generation-match <gen>     write only if the key still has this generation
  -h, --help                      show this help`;

const MODES = ["overwrite", "add", "append", "prepend"] as const;

export const command: Command = {
  name: "put",
  run: (args) =>
    runCommand("put", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("put", args, {
        ...TARGET_OPTIONS,
        file: { type: "string" },
        metadata: { type: "string" },
        ttl: { type: "string" },
        mode: { type: "string" },
        "if-generation-match": { type: "string" },
      });
      const [store, key, text] = positionals("put", rest, ["store", "key", "value"], 1);
      if (text !== undefined && values.file !== undefined) throw new UsageError("put: give the value as an argument or with --file, not both");
      const mode = (values.mode ?? "overwrite") as PutOptions["mode"];
      if (!MODES.includes(mode!)) throw new UsageError(`put: --mode must be one of ${MODES.join(", ")}, got '${values.mode}'`);
      const options: PutOptions = { mode };
      if (values.metadata !== undefined) options.metadata = values.metadata;
      if (values.ttl !== undefined) options.ttl = intOption("put", "ttl", values.ttl, 0, 0);
      if (values["if-generation-match"] !== undefined) options.ifGenerationMatch = intOption("put", "if-generation-match", values["if-generation-match"], 0, 1);
      const value = text !== undefined ? new TextEncoder().encode(text) : new Uint8Array(readFileSync(values.file ?? 0));
      const target = await openTarget("put", values, store!, { create: true });
      try {
        await target.put(key!, value, options);
      } catch (error) {
        if (error instanceof KVError && error.code === "precondition-failed") {
          process.stderr.write(`edge-kv put: nothing written: ${mode === "add" ? `key '${key}' already exists` : `key '${key}' does not have generation ${options.ifGenerationMatch}`} in ${target.description}\n`);
          return 1;
        }
        throw error;
      } finally {
        await target.close();
      }
      return 0;
    }),
};
