/** `edge-kv list STORE`: keys, one a line, in the store's order (every page, or at most --limit). */
import { intOption, parseCommandArgs, positionals, runCommand } from "./args.js";
import type { Command } from "./command.js";
import { TARGET_HELP, TARGET_OPTIONS, openTarget } from "./target.js";

const USAGE = `Usage: edge-kv list STORE (--data <folder> | --url <url>) [options]

Prints the keys of STORE, one a line, in order.

Options:
${TARGET_HELP}
  --prefix <prefix>     only keys starting with this
  --limit <n>           at most this many keys (default: all)
  --cursor <cursor>     start after the page this cursor ends (printed on stderr with --limit)
  -h, --help            show this help`;

export const command: Command = {
  name: "list",
  run: (args) =>
    runCommand("list", USAGE, args, async () => {
      const { values, positionals: rest } = parseCommandArgs("list", args, { ...TARGET_OPTIONS, prefix: { type: "string" }, limit: { type: "string" }, cursor: { type: "string" } });
      const [store] = positionals("list", rest, ["store"]);
      const limit = values.limit === undefined ? Infinity : intOption("list", "limit", values.limit, 0, 1);
      const target = await openTarget("list", values, store!);
      try {
        let cursor = values.cursor;
        let printed = 0;
        do {
          const page = await target.list({ ...(values.prefix && { prefix: values.prefix }), ...(cursor && { cursor }), limit: Math.min(1000, limit - printed) });
          if (page.keys.length > 0) process.stdout.write(`${page.keys.join("\n")}\n`);
          printed += page.keys.length;
          cursor = page.cursor;
        } while (cursor !== undefined && printed < limit);
        if (cursor !== undefined) process.stderr.write(`more keys follow: --cursor ${cursor}\n`);
        return 0;
      } finally {
        await target.close();
      }
    }),
};
