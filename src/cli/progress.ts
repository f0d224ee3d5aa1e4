/**
 * Progress on stderr for long CLI work, drawn by cli-progress: a bar on a terminal, a plain line
 * every two seconds (and a last one at the end) when stderr is a file or a pipe. `--quiet` silences it.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Counts `n` more items done. */
  add(n?: number): void;
  setTotal(total: number): void;
  /** Draws the final state and releases the terminal line. */
  stop(): void;
}

const SILENT: Progress = { add() {}, setTotal() {}, stop() {} };

/** `label` names the work ("exporting sessions"); `total` is null when not known (a counter is shown). */
export function startProgress(label: string, total: number | null, options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  if (options.quiet) return SILENT;
  const stream = options.stream ?? process.stderr;
  const terminal = stream.isTTY === true;
  const known = total !== null;
  const format = terminal
    ? known
      ? `${label} [{bar}] {percentage}% {value}/{total} keys, {eta_formatted} left`
      : `${label}: {value} keys`
    : known
      ? `${label}: {value}/{total} keys ({percentage}%)`
      : `${label}: {value} keys`;
  const bar = new cliProgress.SingleBar(
    { stream, format, noTTYOutput: true, notTTYSchedule: 2000, hideCursor: terminal, etaBuffer: 50, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return {
    add: (n = 1) => bar.increment(n),
    setTotal: (value) => bar.setTotal(value),
    stop: () => bar.stop(),
  };
}
