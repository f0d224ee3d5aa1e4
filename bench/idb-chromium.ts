/**
 * edge-kv's IndexedDB driver against idb-keyval in real Chromium (Debian's /usr/bin/chromium through
 * playwright): the page is served from loopback (IndexedDB needs an origin), both subjects run in
 * the same page one after the other, several rounds; prints ms per operation and the median ratios.
 *
 *   node --import tsx bench/idb-chromium.ts [--n 1000] [--rounds 5]
 */
import { createServer } from "node:http";
import { build } from "esbuild";
import { chromium } from "playwright";
import { join } from "node:path";
import { ROOT } from "./lib/build.js";
import { median, parseArgs } from "./lib/harness.js";

const args = parseArgs(process.argv.slice(2));
const n = Number(args.get("n") ?? 1000);
const rounds = Number(args.get("rounds") ?? 5);

export async function measureChromium(options: { n: number; rounds: number }): Promise<Record<string, number[]>> {
  const bundled = await build({
    entryPoints: [join(ROOT, "bench/browser/idb-page.ts")],
    bundle: true,
    format: "iife",
    platform: "browser",
    write: false,
    logLevel: "error",
    alias: { "edge-kv": join(ROOT, "src/index.ts") },
  });
  const script = bundled.outputFiles[0]!.text;
  const server = createServer((request, response) => {
    if (request.url === "/bench.js") response.writeHead(200, { "content-type": "text/javascript" }).end(script);
    else response.writeHead(200, { "content-type": "text/html" }).end('<!doctype html><script src="/bench.js"></script>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const results: Record<string, number[]> = {};
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.evaluate((count) => (globalThis as unknown as { runBench(n: number): Promise<unknown> }).runBench(Math.min(count, 200)), options.n); // warm-up
    for (let round = 0; round < options.rounds; round++) {
      const out = await page.evaluate((count) => (globalThis as unknown as { runBench(n: number): Promise<Record<string, number>> }).runBench(count), options.n);
      for (const [name, ms] of Object.entries(out)) (results[name] ??= []).push(ms);
      process.stderr.write(`  chromium round ${round + 1}: ${Object.entries(out).map(([k, v]) => `${k} ${(v * 1000).toFixed(0)} µs`).join(", ")}\n`);
    }
  } finally {
    await browser.close();
    server.close();
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await measureChromium({ n, rounds });
  for (const op of ["put", "get"]) {
    const ours = results[`edge-kv ${op}`]!;
    const theirs = results[`idb-keyval ${op}`]!;
    const ratios = ours.map((ms, i) => theirs[i]! / ms);
    console.log(`${op}: edge-kv ${(median(ours) * 1000).toFixed(0)} µs, idb-keyval ${(median(theirs) * 1000).toFixed(0)} µs, edge-kv/idb-keyval throughput ratio ${median(ratios).toFixed(2)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(" ")})`);
  }
}
