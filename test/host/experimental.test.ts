/**
 * fastly:experimental: Fastly's default JavaScript starter kit (includeBytes at the top level) served by
 * `edge-kv dev` and loadApp; includeBytes' rules (project folder, request time, missing files); the
 * other exports' argument checks; `edge-kv dev --module` for the fastly:* modules edge-kv does not provide.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { EdgeKvError } from "../../src/errors.js";
import { resetRegistry, setIncludeBytesReader } from "edge-kv";
import { loadApp } from "edge-kv/host";
import { projectFiles } from "edge-kv/node";
import * as experimental from "fastly:experimental";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { parseDevArgs, startDev, type DevOptions, type DevServer } from "../../src/cli/dev.js";
import { PROVIDED_MODULES } from "../../src/shim/modules.js";

const project = fileURLToPath(new URL("./fixtures/starter-kit/", import.meta.url)).replace(/\/$/, "");
const page = readFileSync(join(project, "src/welcome-to-compute.html"));
const LATE = "TypeError: fastly.includeBytes can only be used during request handling, not during initialization";
const quiet = { log: () => {}, error: () => {} };

async function dev(args: string[]): Promise<DevServer> {
  return startDev(parseDevArgs([...args, "--port", "0"], project, {}) as DevOptions, quiet);
}

describe("fastly:experimental in edge-kv dev: the starter kit's shape", () => {
  it("serves the page includeBytes read at the top level, byte for byte; at request time includeBytes fails as on Compute", async () => {
    const server = await dev([]);
    try {
      expect(server.entry.path).toBe(join(project, "src/index.js"));
      const response = await fetch(`${server.url}/`);
      expect([response.status, response.headers.get("content-type"), response.headers.get("x-service-version")]).toEqual([200, "text/html; charset=utf-8", "0"]);
      expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array(page));
      const late = await fetch(`${server.url}/late`);
      expect([late.status, await late.text()]).toEqual([500, LATE]);
    } finally {
      await server.close();
    }
  });

  it("--watch: a change to a file the app embeds with includeBytes rebuilds and reloads it", async () => {
    const copy = mkdtempSync(join(tmpdir(), "edge-kv-include-watch-"));
    cpSync(project, copy, { recursive: true });
    const lines: string[] = [];
    const server = await startDev(parseDevArgs(["--port", "0", "--watch"], copy, {}) as DevOptions, { log: (line) => lines.push(line), error: (message) => lines.push(message) });
    try {
      expect(new Uint8Array(await (await fetch(`${server.url}/`)).arrayBuffer())).toEqual(new Uint8Array(page));
      writeFileSync(join(copy, "src/welcome-to-compute.html"), "<p>edited</p>");
      await vi.waitFor(() => expect(lines.some((line) => line.startsWith("reloaded src/index.js"))).toBe(true), { timeout: 10_000, interval: 50 });
      expect(await (await fetch(`${server.url}/`)).text()).toBe("<p>edited</p>");
    } finally {
      await server.close();
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it("--module maps a fastly:* module edge-kv does not provide to a project file (bundled with the app)", async () => {
    const server = await dev(["src/geo.js", "--module", "fastly:geolocation=./dev/geolocation.js"]);
    try {
      expect(await (await fetch(`${server.url}/`)).text()).toBe("Testville for 127.0.0.1 (127.0.0.1)");
    } finally {
      await server.close();
    }
  });

  it("without --module, the unknown import is a start-up error naming the flag", async () => {
    await expect(dev(["src/geo.js"])).rejects.toThrow(
      '"fastly:geolocation" is not available in edge-kv dev: edge-kv provides "fastly:kv-store", "fastly:config-store", "fastly:dictionary", "fastly:secret-store", "fastly:env" and "fastly:experimental". Map it to a module of your own: edge-kv dev --module fastly:geolocation=./path/to/your-module.js',
    );
  });

  it("a bad --module is refused before anything starts: a missing file, not a fastly: id, no file, twice, with --wasm", () => {
    const parse = (...args: string[]) => () => parseDevArgs(args, project, {});
    expect(parse("--module", "fastly:geolocation=./dev/nope.js")).toThrow(new EdgeKvError(`dev: --module fastly:geolocation=./dev/nope.js: ${join(project, "dev/nope.js")} does not exist`));
    expect(parse("--module", "geolocation=./dev/geolocation.js")).toThrow(
      new EdgeKvError("dev: --module maps a fastly:* module to a file of the project, like --module fastly:geolocation=./geolocation.js; got 'geolocation=./dev/geolocation.js'"),
    );
    expect(parse("--module", "fastly:geolocation")).toThrow(/got 'fastly:geolocation'$/);
    expect(parse("--module", "fastly:geolocation=dev")).toThrow(new EdgeKvError(`dev: --module fastly:geolocation=dev: ${join(project, "dev")} is a folder; name the module's file`));
    expect(parse("--module", "fastly:geolocation=./dev/geolocation.js", "--module", "fastly:geolocation=./src/geo.js")).toThrow(new EdgeKvError("dev: --module maps fastly:geolocation twice; keep one"));
    expect(parse("--wasm", "package.json", "--module", "fastly:geolocation=./dev/geolocation.js")).toThrow(/^edge-kv: dev: --module maps the fastly:\* imports of the app's source/);
    expect(parseDevArgs(["--module", "fastly:geolocation=dev/geolocation.js", "--module", "fastly:env=./dev/geolocation.js"], project, {})).toMatchObject({
      modules: { "fastly:geolocation": join(project, "dev/geolocation.js"), "fastly:env": join(project, "dev/geolocation.js") },
    });
  });
});

describe("fastly:experimental through loadApp and the module itself", () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    vi.restoreAllMocks();
  });
  const scratch = mkdtempSync(join(tmpdir(), "edge-kv-include-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("exports exactly the runtime module's names", () => {
    expect(Object.keys(experimental).sort()).toEqual([...PROVIDED_MODULES["fastly:experimental"].exports].sort());
  });

  it("loadApp serves the starter kit once a reader of the project is installed; request-time includeBytes is refused", async () => {
    resetRegistry();
    restore = setIncludeBytesReader(projectFiles(project)!);
    const app = await loadApp(new URL("./fixtures/starter-kit/src/index.js", import.meta.url));
    try {
      expect(new Uint8Array(await (await app.fetch("/")).arrayBuffer())).toEqual(new Uint8Array(page));
      expect(await (await app.fetch("/late")).text()).toBe(LATE);
    } finally {
      await app.close();
    }
  });

  it("reads relative to the project folder as the runtime's sandbox does: '/' is the project, '..' may not leave it, missing files and folders fail", () => {
    writeFileSync(join(scratch, "a.txt"), "A");
    symlinkSync(join(project, "package.json"), join(scratch, "outside"));
    restore = setIncludeBytesReader(projectFiles(scratch)!);
    const text = (path: string) => new TextDecoder().decode(experimental.includeBytes(path));
    expect([text("a.txt"), text("./a.txt"), text("/a.txt"), text("x/../a.txt"), text("a.txt\0ignored")]).toEqual(["A", "A", "A", "A", "A"]);
    expect(experimental.includeBytes("a.txt")).toBeInstanceOf(Uint8Array);
    const failure = (path: unknown) => {
      try {
        experimental.includeBytes(path as string);
        return "no error";
      } catch (error) {
        return `${(error as Error).constructor.name}: ${(error as Error).message}`;
      }
    };
    expect(failure("nope.txt")).toBe("Error: Error opening file nope.txt");
    expect(failure(`../${scratch.split("/").pop()}/a.txt`)).toBe(`Error: Error opening file ../${scratch.split("/").pop()}/a.txt`);
    expect(failure(join(scratch, "a.txt"))).toBe(`Error: Error opening file ${join(scratch, "a.txt")}`);
    expect(failure("outside")).toBe("Error: Error opening file outside");
    expect(failure(".")).toBe("RangeError: invalid array length");
    expect(failure(1)).toBe("Error: Error opening file 1");
    expect(() => (experimental.includeBytes as unknown as () => void)()).toThrow(new TypeError("fastly.includeBytes: At least 1 argument required, but only 0 passed"));
  });

  it("without a reader (a browser, or no Node surface), says where it can read files", () => {
    restore = setIncludeBytesReader(null);
    expect(() => experimental.includeBytes("./src/welcome-to-compute.html")).toThrow(
      new EdgeKvError(
        'includeBytes("./src/welcome-to-compute.html"): no project files to read here. On Compute the file is read at build time from the project folder; edge-kv reads it through Node: run the app with edge-kv dev, node --import edge-kv/register or the edgeKv() Vite/Vitest plugin in Node, or install a reader first: setIncludeBytesReader(projectFiles(root)) (edge-kv and edge-kv/node). In a browser there is no project folder to read',
      ),
    );
  });

  it("the other exports check their arguments as the runtime does and change nothing", () => {
    const message = (fn: () => unknown) => {
      try {
        fn();
        return "ok";
      } catch (error) {
        return `${(error as Error).constructor.name}: ${(error as Error).message}`;
      }
    };
    const x = experimental as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(experimental.sdkVersion).toBe(JSON.parse(readFileSync(new URL("../../node_modules/@fastly/js-compute/package.json", import.meta.url), "utf8")).version);
    expect([message(() => x.setBaseURL!("http://x")), message(() => x.setBaseURL!(new URL("http://x"))), message(() => x.setBaseURL!(null))]).toEqual([
      "Error: Invalid value assigned to fastly.baseURL, must be an instance of URL, null, or undefined",
      "ok",
      "ok",
    ]);
    expect([message(() => x.enableDebugLogging!()), message(() => x.enableDebugLogging!(true))]).toEqual(["TypeError: enableDebugLogging: At least 1 argument required, but only 0 passed", "ok"]);
    expect([message(() => x.setDefaultBackend!()), message(() => x.allowDynamicBackends!(true))]).toEqual(["ok", "ok"]);
    expect([-1, 2 ** 32, "x"].map((connectTimeout) => message(() => x.allowDynamicBackends!({ connectTimeout })))).toEqual([
      "RangeError: Backend constructor: connectTimeout can not be a negative number",
      "RangeError: Backend constructor: connectTimeout is above the maximum of 4294967296",
      "RangeError: Backend constructor: connectTimeout is not a valid number",
    ]);
    expect([undefined, 1, { maxRequests: 1.5 }, { maxRequests: -1 }, { maxRequests: "1" }, { maxRequests: 0, maxMemoryMiB: 64 }].map((options, index) => message(() => (index === 0 ? x.setReusableSandboxOptions!() : x.setReusableSandboxOptions!(options))))).toEqual([
      "TypeError: fastly.setReusableSandboxOptions: At least 1 argument required, but only 0 passed",
      "Error: Options parameter must be an object",
      "Error: maxRequests option must be an integer",
      "Error: maxRequests option must be a non-negative integer",
      "Error: maxRequests option must be an integer",
      "ok",
    ]);
    const error = new TypeError("x");
    expect(experimental.mapError(error)).toEqual(["(Raw error) - build with --enable-stack-traces for mapped stack information.", error]);
    expect(experimental.mapError(error)[1]).toBe(error);
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    experimental.mapAndLogError("s");
    expect(logged.mock.calls).toEqual([["(Raw error) - build with --enable-stack-traces for mapped stack information."], ["s"]]);
  });
});
