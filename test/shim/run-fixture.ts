/** Runs a fixture project's Vitest in a child process (bounded) and returns its JSON report. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const vitestBin = fileURLToPath(new URL("../../node_modules/vitest/vitest.mjs", import.meta.url));

export interface FixtureReport {
  exitCode: number;
  output: string;
  numPassedTests: number;
  numFailedTests: number;
  tests: Array<{ title: string; status: string; failureMessages: string[] }>;
  suiteMessages: string[];
}

export async function runFixture(root: string, timeoutMs = 60_000, config?: string, env: Record<string, string> = {}): Promise<FixtureReport> {
  const dir = mkdtempSync(join(tmpdir(), "edge-kv-fixture-"));
  const outputFile = join(dir, "report.json");
  try {
    const { exitCode, output } = await new Promise<{ exitCode: number; output: string }>((resolve) => {
      execFile(
        process.execPath,
        [vitestBin, "run", "--root", root, ...(config ? ["--config", config] : []), "--reporter=json", `--outputFile=${outputFile}`],
        { timeout: timeoutMs, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", ...env }, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => resolve({ exitCode: error ? Number((error as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` }),
      );
    });
    let report: { numPassedTests: number; numFailedTests: number; testResults: Array<{ message: string; assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }> };
    try {
      report = JSON.parse(readFileSync(outputFile, "utf8"));
    } catch {
      throw new Error(`fixture ${root} wrote no report (exit ${exitCode}):\n${output}`);
    }
    return {
      exitCode,
      output,
      numPassedTests: report.numPassedTests,
      numFailedTests: report.numFailedTests,
      tests: report.testResults.flatMap((file) => file.assertionResults.map(({ title, status, failureMessages }) => ({ title, status, failureMessages }))),
      suiteMessages: report.testResults.map((file) => file.message).filter(Boolean),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
