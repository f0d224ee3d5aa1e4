/**
 * examples/compute-app's own test suite in the real runtime (test/wasm/compute-app.wasm.config.ts):
 * the same test files, `edge-kv/host` resolved to edge-kv/wasm/host, the app built to wasm.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runFixture } from "../shim/run-fixture.js";
import { JS_HOST_ONLY } from "./compute-app.wasm.config.js";

const app = fileURLToPath(new URL("../../examples/compute-app/", import.meta.url));
const config = fileURLToPath(new URL("./compute-app.wasm.config.ts", import.meta.url));

describe("examples/compute-app in the real runtime", () => {
  it("its test suite passes, but for the tests about the JS app host itself", { timeout: 300_000 }, async () => {
    const report = await runFixture(app, 280_000, config);
    const run = report.tests.filter((test) => test.status !== "skipped" && test.status !== "pending");
    expect(run.filter((test) => test.status !== "passed"), report.output).toEqual([]);
    expect(report.tests.filter((test) => test.status === "skipped" || test.status === "pending").map((test) => test.title).sort()).toEqual(
      report.tests.filter((test) => JS_HOST_ONLY.some((name) => test.title.startsWith(name))).map((test) => test.title).sort(),
    );
    expect(run.length).toBe(report.tests.length - JS_HOST_ONLY.length);
    expect(report.exitCode).toBe(0);
  });
});
