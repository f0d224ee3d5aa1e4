/** One `edge-kv <name>` subcommand (see main.ts). */
export interface Command {
  readonly name: string;
  /** Parses `args` (everything after the command name), does the work, resolves with the exit code. */
  run(args: string[]): Promise<number>;
}
