// Fails the build if the web-standard core bundle (dist/index.js and the chunks it imports) imports a
// Node builtin, with or without the `node:` scheme.
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join } from "node:path";

const builtins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const importPattern = /(?:import|export)\s*(?:[^'"]*?\sfrom\s*)?["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;

export function checkBundle(entry) {
  const seen = new Set();
  const problems = [];
  const visit = (file) => {
    if (seen.has(file)) return;
    seen.add(file);
    const source = readFileSync(file, "utf8");
    for (const match of source.matchAll(importPattern)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      if (specifier.startsWith(".")) visit(join(dirname(file), specifier));
      else if (specifier.startsWith("node:") || builtins.has(specifier)) problems.push(`${file} imports "${specifier}"`);
    }
  };
  visit(entry);
  return { files: seen.size, problems };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const entries = (process.argv.length > 2 ? process.argv.slice(2) : ["dist/index.js"]).filter((file) => existsSync(file));
  let files = 0;
  const problems = [];
  for (const entry of entries) {
    const result = checkBundle(entry);
    files += result.files;
    problems.push(...result.problems);
  }
  if (problems.length) {
    console.error(`core bundle imports Node builtins (the core must use web-standard APIs only):\n  ${problems.join("\n  ")}`);
    process.exit(1);
  }
  console.log(`web-standard bundles clean: ${entries.join(", ")} (${files} file(s) checked), no Node builtin imports`);
}
