// `npm run screenshots`: the screenshots of docs/explorer.md and docs/cli.md, taken in Chromium
// (/usr/bin/chromium or CHROMIUM_PATH) from an in-process server with demo data. Re-run after
// changing the page; tests never write to docs/.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Page } from "playwright";
import { KVRegistry, KVStore, setRegistry } from "../src/index.js";
import { createServer } from "../src/server/index.js";
import { main } from "../src/cli/main.js";

const docs = new URL("../docs/", import.meta.url).pathname;
mkdirSync(docs, { recursive: true });

const registry = new KVRegistry();
setRegistry(registry);
const sessions = registry.defineStore("sessions");
const catalog = registry.defineStore("catalog");
registry.defineStore("images");
for (let i = 0; i < 2500; i++) {
  await sessions.put(`session/${(i * 7919).toString(36).padStart(6, "0")}`, JSON.stringify({ user: `user-${i}`, cart: i % 5 }), { ttl: 3600 + i, metadata: "v2" });
}
const products = ["blue shirt", "red shirt", "green socks", "yellow hat", "black boots"];
for (const [i, name] of products.entries()) {
  await catalog.put(`sku/${1000 + i}`, JSON.stringify({ name, price: 19.5 + i * 5, tags: ["summer", i % 2 ? "sale" : "new"], stock: { eu: 12 - i, us: 3 + i } }), { metadata: `{"updated":"2026-11-2${i}"}` });
}
await catalog.put("feature/flags", '{"checkout_v2":true,"banner":"<b>Winter sale</b>"}', { ttl: 5400, metadata: "edited by ops" });

const server = await createServer({ registry });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
// A real PNG as a value: Chromium draws it.
await page.setContent('<div style="width:160px;height:90px;background:linear-gradient(135deg,#2563eb,#16a34a);color:#fff;font:bold 22px sans-serif;display:grid;place-items:center">edge-kv</div>');
const png = await page.locator("div").screenshot();
await registry.store("images").put("logo.png", png);

const wait = (selector: string) => page.waitForSelector(selector, { timeout: 10_000 });
const shot = async (name: string) => {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(docs, name) });
  console.log(`docs/${name}`);
};

async function open(store: string, prefix: string, key: string): Promise<Page> {
  await page.click(`#stores button[data-store="${store}"]`);
  await page.fill("#prefix", prefix);
  await wait(`#keys li[data-key="${key}"]`);
  await page.click(`#keys li[data-key="${key}"] button`);
  await wait("#entry-key");
  return page;
}

await page.goto(`${server.url}/_edge-kv/`);
await wait(".layout[data-ready=true]");
// Some app traffic for the operation log.
const app = new KVStore("catalog");
for (const key of ["sku/1000", "sku/1003", "sku/missing"]) await app.get(key);
await app.put("sku/1004", JSON.stringify({ name: "black boots", price: 39.5, tags: ["winter"], stock: { eu: 8, us: 7 } }));
await open("catalog", "sku/", "sku/1001");
await shot("explorer.png");

await open("images", "", "logo.png");
await shot("explorer-image.png");

await open("catalog", "feature/", "feature/flags");
await page.click("#edit");
await page.fill("#edit-value", '{"checkout_v2":false,"banner":"<b>Winter sale</b>"}');
await app.put("feature/flags", '{"checkout_v2":true,"banner":"New year sale"}');
await page.click("#save");
await wait("#conflict");
await shot("explorer-conflict.png");
await page.click("text=Cancel");

await page.click('#stores button[data-store="sessions"]');
await page.fill("#prefix", "session/0");
await page.waitForFunction(() => /under 'session\/0'/.test(document.querySelector("#key-count")?.textContent ?? ""));
await page.click("#delete-prefix");
await wait("#confirm");
await shot("explorer-delete-prefix.png");
await page.click("#confirm-cancel");

// docs/cli.md: a store pulled with `edge-kv pull` into a data folder, browsed in the explorer.
const folder = mkdtempSync(join(tmpdir(), "edge-kv-shots-"));
const id = ((await (await fetch(`${server.url}/resources/stores/kv?name=catalog`)).json()) as { data: { id: string }[] }).data[0]!.id;
writeFileSync(join(folder, "README"), "scratch");
process.env.FASTLY_API_TOKEN = "local";
const pulled = await main(["pull", "--store-id", id, "--api-url", server.url, "--data", join(folder, "data"), "catalog-copy", "--quiet"]);
if (pulled !== 0) throw new Error("edge-kv pull failed");
const copy = new KVRegistry({ createDriver: (await import("../src/node/index.js")).fileSystemStores(join(folder, "data")) });
const second = await createServer({ registry: copy });
copy.defineStore("catalog-copy");
await page.goto(`${second.url}/_edge-kv/`);
await wait(".layout[data-ready=true]");
await open("catalog-copy", "sku/", "sku/1002");
await shot("cli-pull-explorer.png");

await browser.close();
await second.close();
await server.close();
await copy.reset();
rmSync(folder, { recursive: true, force: true });
