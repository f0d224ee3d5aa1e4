/** One `edge-kv <name>` subcommand (see main.ts). */
export interface Command {
  readonly name: string;
  /** Parses `args` (everything after the command name), does the work, resolves with the exit code. */
  run(args: string[]): Promise<number>;
}

/**
 * Parses a command's arguments: the options, or an exit code once --help (printed, 0) or a usage
 * error (printed, 2) has been handled.
 */
export function parseCommandArgs<T>(parse: () => T | "help", usage: string): T | number {
  let options: T | "help";
  try {
    options = parse();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options === "help") {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  return options;
}

/** Resolves once SIGINT or SIGTERM has arrived and `stop()` has finished (a server command's main loop). */
export function untilStopped(stop: () => Promise<void>): Promise<void> {
  return new Promise<void>((done) => {
    const onSignal = () => {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      void stop().finally(done);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });
}
