// `npm run build` step: the explorer page into dist/explorer/ (served at /_edge-kv/ by edge-kv serve).
import { mkdirSync, writeFileSync } from "node:fs";
import { bundleExplorer } from "../src/explorer/bundle.js";

const assets = await bundleExplorer();
mkdirSync("dist/explorer", { recursive: true });
for (const [name, text] of Object.entries(assets)) writeFileSync(`dist/explorer/${name}`, text);
console.log(`explorer page: dist/explorer/ (${Object.keys(assets).join(", ")}; app.js ${Math.round(assets["app.js"].length / 1024)} KiB)`);
