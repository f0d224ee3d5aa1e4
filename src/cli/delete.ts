/** `edge-kv delete STORE KEY`: deletes one key. */
import { KVError } from "../errors.js";
import { intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { TARGET_HELP, TARGET_OPTIONS, openTarget } from "./target.js";

const USAGE = `Usage: edge-kv delete STORE KEY (--data <folder> | --url <url>) [options]

Deletes KEY. Exit code 1 when it does not exist (unless --force) or its generation differs.

Options:
${TARGET_HELP}
  --force                         succeed when the key does not exist
  --if-generation-match <gen>     delete only if the key still has this generation
  -h, --help                      show this help`;

export const command: Command = {
  name: "delete",
  run: (args) =>
    runCommand("delete", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("delete", args, { ...TARGET_OPTIONS, force: { type: "boolean" }, "if-generation-match": { type: "string" } });
      const [store, key] = positionals("delete", rest, ["store", "key"]);
      const generation = values["if-generation-match"] === undefined ? undefined : intOption("delete", "if-generation-match", values["if-generation-match"], 0, 1);
      const target = await openTarget("delete", values, store!);
      try {
        const deleted = await target.delete(key!, generation === undefined ? {} : { ifGenerationMatch: generation });
        if (!deleted && !values.force) {
          process.stderr.write(`edge-kv delete: key '${key}' does not exist in ${target.description}\n`);
          return 1;
        }
        return 0;
      } catch (error) {
        if (error instanceof KVError && error.code === "precondition-failed") {
          process.stderr.write(`edge-kv delete: nothing deleted: key '${key}' does not have generation ${generation} in ${target.description}\n`);
          return 1;
        }
        throw error;
      } finally {
        await target.close();
      }
    }),
};
