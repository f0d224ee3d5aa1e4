/**
 * The browser prototype (examples/browser) in real Chromium: bundled with esbuild, served on
 * 127.0.0.1, driven with Playwright. Links survive reloads because the page's KVStore lives in
 * IndexedDB; a full storage quota shows edge-kv's clear error in the page.
 */
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { buildPage, pageHandler } from "../../examples/browser/build.js";

const outputFolder = fileURLToPath(new URL("../../test-output/", import.meta.url));
const WAIT = { timeout: 10_000 };

let server: Server;
let browser: Browser;
let origin: string;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  server = createServer(pageHandler(await buildPage()));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    timeout: 30_000,
  });
}, 60_000);

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

/**
 * A fresh browser profile (empty IndexedDB) with the page loaded; page errors are collected.
 * `quotaBytes` sets the origin's storage quota first, through Chromium's DevTools protocol.
 */
async function openPage(quotaBytes?: number): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 640 } });
  contexts.push(context);
  const page = await context.newPage();
  if (quotaBytes !== undefined) {
    const devtools = await context.newCDPSession(page);
    await devtools.send("Storage.overrideQuotaForOrigin", { origin, quotaSize: quotaBytes });
  }
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await load(page, () => page.goto(`${origin}/`, WAIT));
  return { page, errors };
}

async function load(page: Page, navigate: () => Promise<unknown>): Promise<void> {
  await navigate();
  await page.waitForSelector("body[data-ready=true]", WAIT);
}

/** Does something in the page and waits until its action has finished and the list is redrawn. */
async function act(page: Page, doIt: () => Promise<void>): Promise<string> {
  const before = Number((await page.getAttribute("body", "data-actions")) ?? 0);
  await doIt();
  await page.waitForSelector(`body[data-actions="${before + 1}"]`, WAIT);
  return (await page.textContent("#status")) ?? "";
}

function addLink(page: Page, slug: string, url: string): Promise<string> {
  return act(page, async () => {
    await page.fill("#slug", slug);
    await page.fill("#url", url);
    await page.click("#save");
  });
}

const shownLinks = (page: Page) =>
  page.$$eval("#links li", (items) => items.map((item) => `${(item as HTMLElement).dataset.slug} ${item.querySelector(".target")!.textContent}`));

describe("browser prototype page (examples/browser) in Chromium", () => {
  it("keeps links in IndexedDB across reloads: add, reload, delete, reload", async () => {
    const { page, errors } = await openPage();
    expect(await page.textContent("#count")).toBe("0 links");

    expect(await addLink(page, "docs", "https://example.com/docs")).toBe("Created /docs");
    expect(await addLink(page, "blog", "https://example.com/blog/2026/11")).toBe("Created /blog");
    expect(await addLink(page, "api", "https://example.com/reference/api")).toBe("Created /api");
    expect(await addLink(page, "docs", "https://example.com/other")).toBe("'docs' is taken");

    await load(page, () => page.reload(WAIT));
    expect(await shownLinks(page)).toEqual([
      "api https://example.com/reference/api",
      "blog https://example.com/blog/2026/11",
      "docs https://example.com/docs",
    ]);
    expect(await page.textContent("#count")).toBe("3 links");

    expect(await act(page, () => page.click('li[data-slug="blog"] button.delete'))).toBe("Deleted /blog");
    await load(page, () => page.reload(WAIT));
    expect(await shownLinks(page)).toEqual(["api https://example.com/reference/api", "docs https://example.com/docs"]);

    const databases = await page.evaluate(async () => (await indexedDB.databases()).map((database) => database.name));
    expect(databases).toEqual(["edge-kv:links"]);
    expect(errors).toEqual([]);

    await mkdir(outputFolder, { recursive: true });
    const screenshot = await page.screenshot({ path: `${outputFolder}browser-page.png`, fullPage: true });
    expect([...screenshot.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // PNG signature
  });

  it("shows edge-kv's quota error when IndexedDB is full, and keeps the links it had", async () => {
    // A real QuotaExceededError from Chromium: this origin may store 256 KiB, the new link is 1 MiB.
    const { page, errors } = await openPage(256 * 1024);
    expect(await addLink(page, "small", "https://example.com/")).toBe("Created /small");
    const url = `https://example.com/${"x".repeat(1024 * 1024)}`;
    const message = await act(page, async () => {
      await page.fill("#slug", "huge");
      await page.$eval("#url", (input, value) => ((input as HTMLInputElement).value = value), url);
      await page.click("#save");
    });
    expect(message).toBe(
      `edge-kv: IndexedDB database 'edge-kv:links' is over its storage quota: the write of key 'huge' (${url.length} bytes) was refused and nothing was written. ` +
        "Delete entries or stores you no longer need, or ask the browser to keep more with navigator.storage.persist().",
    );
    await load(page, () => page.reload(WAIT));
    expect(await shownLinks(page)).toEqual(["small https://example.com/"]);
    expect(errors).toEqual([]);
  });
});
