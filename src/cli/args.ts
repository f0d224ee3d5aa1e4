/**
 * What every data command shares: argument parsing with `node:util` parseArgs (strict; --help),
 * the exit codes (0 done, 1 failed, 2 bad usage) and the wording of errors on stderr.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EdgeKvError } from "../errors.js";

/** Bad usage: exit code 2. */
export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; allowPositionals: true; strict: true }>>;

/** Parses `args` (strict: unknown options are errors). Throws UsageError naming the command. */
export function parseCommandArgs<T extends Options>(name: string, args: string[], options: T): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: "boolean", short: "h" } } as T, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${name}: ${(error as Error).message}`);
  }
  return parsed;
}

/** Runs a command body: prints its help, maps errors to exit codes and messages on stderr. */
export async function runCommand(name: string, usage: string, args: string[], body: (args: string[]) => Promise<number | void>): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  try {
    return (await body(args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`edge-kv ${error.message}\nRun 'edge-kv ${name} --help' for the options.\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`edge-kv ${name}: ${message.replace(/^edge-kv: /, "")}\n`);
    return 1;
  }
}

/** Exactly `count` positional arguments, named in the message when missing. */
export function positionals(name: string, values: string[], names: string[], optional = 0): string[] {
  if (values.length < names.length - optional || values.length > names.length) {
    throw new UsageError(`${name}: expected ${names.map((n) => n.toUpperCase()).join(" ")}, got ${values.length === 0 ? "nothing" : values.map((v) => JSON.stringify(v)).join(" ")}`);
  }
  return values;
}

/** A whole number option within [min, max]. */
export function intOption(name: string, option: string, text: string | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) throw new UsageError(`${name}: --${option} must be a whole number from ${min} to ${max}, got '${text}'`);
  return value;
}

export function fail(message: string): EdgeKvError {
  return new EdgeKvError(message);
}
