#!/usr/bin/env node
/**
 * The `edge-kv` command: a table of subcommands, each in its own module under src/cli/ and loaded
 * only when it runs (so `edge-kv export` never loads the HTTP server, and the other way round).
 * A subcommand parses its own arguments, prints its own --help, and resolves with the exit code:
 * 0 done, 1 failed while running, 2 bad usage.
 */
import type { Command } from "./command.js";

/** Every subcommand, by name. Add a line here and a module exporting `command: Command`. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  serve: async () => (await import("./serve.js")).command,
  get: async () => (await import("./get.js")).command,
  put: async () => (await import("./put.js")).command,
  delete: async () => (await import("./delete.js")).command,
  list: async () => (await import("./list.js")).command,
  export: async () => (await import("./export.js")).command,
  import: async () => (await import("./import.js")).command,
  pull: async () => (await import("./pull.js")).command,
  push: async () => (await import("./push.js")).command,
  dev: async () => (await import("./dev.js")).command,
};

/** What each command is for, one line in `edge-kv --help`. */
export const SUMMARIES: Partial<Record<string, string>> = {
  dev: "serve a Compute app (src/index.ts) on http://127.0.0.1:7676, its stores at /_edge-kv/",
  serve: "a local KV REST server (Fastly, Apify, Telnyx APIs) on http://127.0.0.1:7878",
  get: "print one value of a store (--data <folder> or --url <server>)",
  put: "write one value (modes, metadata, TTL, if-generation-match)",
  delete: "delete one key (--if-generation-match, --force)",
  list: "list a store's keys (--prefix, --limit, --cursor)",
  export: "write a store as NDJSON (Fastly's batch format)",
  import: "read NDJSON or a fastly.toml JSON store file into a store",
  pull: "copy a live Fastly KV store into a local store or file",
  push: "copy a local store or export file to a live Fastly KV store",
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    "Usage: edge-kv <command> [options]",
    "",
    "Commands:",
    ...Object.keys(COMMANDS).map((name) => `  ${name.padEnd(width)}  ${SUMMARIES[name] ?? ""}`.trimEnd()),
    "",
    "Run 'edge-kv <command> --help' for a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(`${usage()}\n`);
    return name === undefined ? 2 : 0;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    const known = Object.keys(COMMANDS).map((command) => `'edge-kv ${command}'`).join(", ");
    process.stderr.write(`edge-kv: unknown command '${name}'. Commands: ${known}; run 'edge-kv --help'\n`);
    return 2;
  }
  const command = await load();
  return command.run(rest);
}

const invokedDirectly = process.argv[1] !== undefined && /(?:^|[\\/])(?:main\.(?:ts|js|mjs)|cli\.(?:js|mjs)|edge-kv)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
