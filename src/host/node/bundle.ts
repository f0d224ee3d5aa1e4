/**
 * Builds an app entry for `edge-kv dev` (Node only) with esbuild, as Fastly's own build does
 * (`js-compute-runtime` bundles with esbuild: browser platform, the `fastly` condition, the project's
 * tsconfig) — so TypeScript entries, npm dependencies and JSX work as they do on Compute.
 *
 * `fastly:*` imports stay imports, of edge-kv's own modules in this process: the app and the dev
 * server share one copy of edge-kv, hence one registry (what the app writes is what /_edge-kv/api/
 * serves), stores survive reloads, and a rebuild re-bundles only the app. Each build is written to a
 * new file in a temporary folder and imported from there: a fresh evaluation of the whole app, its
 * dependencies included. Source maps are inline, so stack traces name the app's own files.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { context, build, formatMessages, type BuildOptions, type BuildResult, type Message, type Plugin } from "esbuild";
import { EdgeKvError } from "../../errors.js";
import { PROVIDED_MODULES, isProvidedModule, providedModuleList } from "../../shim/modules.js";

/** The URL of the module that implements `specifier` in this installation (dist/ or src/). */
export function providedModuleUrl(specifier: string): string | undefined {
  if (!isProvidedModule(specifier)) return undefined;
  const { file } = PROVIDED_MODULES[specifier];
  for (const candidate of [`./${file}.js`, `../../shim/${file}.ts`]) {
    const url = new URL(candidate, import.meta.url);
    if (existsSync(url)) return url.href;
  }
  throw new EdgeKvError(`the edge-kv installation is incomplete: ${file}.js is missing next to ${fileURLToPath(import.meta.url)}`);
}

/** How `edge-kv dev` maps a `fastly:*` module, for messages. */
export const DEV_MODULE_OPTION = "edge-kv dev --module $ID=./path/to/your-module.js";

/**
 * Resolves `fastly:*` to edge-kv's modules (kept external: one copy of edge-kv in the process), or to
 * the project file `modules` maps it to (bundled with the app, so --watch sees its changes).
 */
function fastlyModules(modules: Readonly<Record<string, string>>): Plugin {
  return {
    name: "edge-kv-dev",
    setup(bundler) {
      bundler.onResolve({ filter: /^fastly:/ }, (args) => {
        if (Object.hasOwn(modules, args.path)) return { path: modules[args.path]! };
        const url = providedModuleUrl(args.path);
        if (url !== undefined) return { path: url, external: true };
        const fix = DEV_MODULE_OPTION.replaceAll("$ID", args.path);
        return { errors: [{ text: `"${args.path}" is not available in edge-kv dev: edge-kv provides ${providedModuleList()}. Map it to a module of your own: ${fix}` }] };
      });
    },
  };
}

export interface AppBuild {
  /** file: URL of the built module, to import. */
  url: string;
  /** Milliseconds the build took. */
  ms: number;
}

export interface AppBundlerOptions {
  /** Absolute path of the entry. */
  entry: string;
  /** The project folder (tsconfig, node_modules). */
  root: string;
  /** `fastly:*` id → absolute path of the module serving it instead (`edge-kv dev --module`). */
  modules?: Readonly<Record<string, string>>;
}

/** `folder`: where the built modules are written (source map paths are relative to it). */
function options(bundler: AppBundlerOptions, folder: string): BuildOptions {
  return {
    entryPoints: [bundler.entry],
    absWorkingDir: bundler.root,
    bundle: true,
    format: "esm",
    platform: "browser",
    conditions: ["fastly"],
    target: "es2022",
    sourcemap: "inline",
    sourcesContent: false,
    write: false,
    outfile: join(folder, "app.mjs"),
    logLevel: "silent",
    plugins: [fastlyModules(bundler.modules ?? {})],
  };
}

/** esbuild's errors as text (file:line:column, the line, a caret), ready to print. */
export async function describeBuildErrors(errors: Message[]): Promise<string> {
  return (await formatMessages(errors, { kind: "error", color: false })).join("").trimEnd();
}

/** A build that failed: the message holds esbuild's formatted errors. */
export class AppBuildError extends EdgeKvError {
  constructor(entry: string, details: string) {
    super(`cannot build ${entry}:\n${details}`);
    this.name = "AppBuildError";
  }
}

/**
 * Builds the app (once, or again on every change with `watch`). Every successful build is written to
 * a new module file; `onBuild` gets its URL, or the error of a failed rebuild.
 */
export class AppBundler {
  #options: AppBundlerOptions;
  #folder: Promise<string>;
  #count = 0;
  #dispose: (() => Promise<void>) | undefined;
  #rebuild: (() => Promise<unknown>) | undefined;

  constructor(bundlerOptions: AppBundlerOptions) {
    this.#options = bundlerOptions;
    this.#folder = mkdtemp(join(tmpdir(), "edge-kv-dev-"));
  }

  /** Builds once. Rejects with AppBuildError when esbuild reports errors. */
  async build(): Promise<AppBuild> {
    const started = performance.now();
    let result: BuildResult<{ write: false }>;
    try {
      result = (await build(options(this.#options, await this.#folder))) as BuildResult<{ write: false }>;
    } catch (error) {
      throw await this.#failure(error);
    }
    return this.#write(result, started);
  }

  /**
   * Builds now and again whenever a file of the app changes. The first build's outcome is returned
   * (rejecting on errors); later ones go to `onRebuild`.
   */
  async watch(onRebuild: (outcome: AppBuild | AppBuildError) => void): Promise<AppBuild> {
    let first: ((outcome: AppBuild | AppBuildError) => void) | undefined;
    const initial = new Promise<AppBuild | AppBuildError>((resolve) => (first = resolve));
    let started = performance.now();
    const report: Plugin = {
      name: "edge-kv-dev-rebuild",
      setup: (bundler) => {
        bundler.onStart(() => {
          started = performance.now();
        });
        bundler.onEnd(async (result) => {
          const outcome =
            result.errors.length > 0
              ? new AppBuildError(this.#entryName(), await describeBuildErrors(result.errors))
              : await this.#write(result as BuildResult<{ write: false }>, started).catch((error: unknown) => this.#failure(error));
          if (first !== undefined) {
            const resolve = first;
            first = undefined;
            resolve(outcome);
          } else onRebuild(outcome);
        });
      },
    };
    const base = options(this.#options, await this.#folder);
    const ctx = await context({ ...base, plugins: [...(base.plugins ?? []), report] });
    this.#dispose = () => ctx.dispose();
    this.#rebuild = () => ctx.rebuild();
    await ctx.watch();
    const outcome = await initial;
    if (outcome instanceof AppBuildError) throw outcome;
    return outcome;
  }

  /**
   * While watching: builds again now (the outcome goes to `onRebuild`), for a change esbuild cannot see —
   * a file the app reads with includeBytes.
   */
  rebuild(): void {
    this.#rebuild?.().catch(() => undefined); // errors reach onRebuild through the onEnd hook
  }

  /** Stops watching and deletes the built files. */
  async close(): Promise<void> {
    await this.#dispose?.();
    await rm(await this.#folder, { recursive: true, force: true });
  }

  #entryName(): string {
    return relative(this.#options.root, this.#options.entry) || this.#options.entry;
  }

  async #failure(error: unknown): Promise<AppBuildError> {
    const errors = (error as { errors?: Message[] }).errors;
    const details = Array.isArray(errors) && errors.length > 0 ? await describeBuildErrors(errors) : String((error as Error)?.message ?? error);
    return new AppBuildError(this.#entryName(), details);
  }

  async #write(result: BuildResult<{ write: false }>, started: number): Promise<AppBuild> {
    const output = result.outputFiles[0];
    if (output === undefined) throw new EdgeKvError(`esbuild produced no output for ${this.#entryName()}`);
    const file = join(await this.#folder, `app-${++this.#count}.mjs`);
    await writeFile(file, output.contents);
    return { url: pathToFileURL(file).href, ms: performance.now() - started };
  }
}
