/**
 * The explorer page in real Chromium (one browser for the file), served by the REST server in this
 * process over a registry the test also reads and writes through `new KVStore(name)` — "the app".
 */
import { chromium, type Browser, type BrowserContext, type Page } from "playwright";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeClock, KVRegistry, KVStore, setRegistry } from "edge-kv";
import { createServer, type RestServer } from "edge-kv/server";

const WAIT = { timeout: 10_000 };
const START = Date.UTC(2026, 0, 15, 12, 0, 0);

let server: RestServer;
let browser: Browser;
let registry: KVRegistry;
let clock: FakeClock;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  clock = new FakeClock(START);
  registry = new KVRegistry({ clock });
  setRegistry(registry);
  const big = registry.defineStore("big");
  for (let i = 0; i < 100_000; i++) await big.put(`user/${String(i).padStart(5, "0")}`, `{"id":${i}}`);
  registry.defineStore("app");
  server = await createServer({ registry });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
    timeout: 30_000,
  });
}, 120_000);

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function openExplorer(options: { fakeClock?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  const page = await context.newPage();
  if (options.fakeClock) await page.clock.install({ time: START });
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  await page.goto(`${server.url}/_edge-kv/`, WAIT);
  await page.waitForSelector(".layout[data-ready=true]", WAIT);
  return { page, errors };
}

/** Waits until `selector`'s text is `expected` (or matches it); the failure says what was there. */
async function text(page: Page, selector: string, expected: string | RegExp): Promise<void> {
  try {
    await page.waitForFunction(
      ([s, source, flags]) => {
        const actual = document.querySelector(s!)?.textContent ?? null;
        return actual !== null && (flags === null ? actual === source : new RegExp(source!, flags).test(actual));
      },
      [selector, typeof expected === "string" ? expected : expected.source, typeof expected === "string" ? null : expected.flags] as const,
      WAIT,
    );
  } catch {
    const actual = await page.evaluate((s) => document.querySelector(s)?.textContent ?? null, selector);
    throw new Error(`${selector}: expected ${String(expected)}, found ${JSON.stringify(actual)}`);
  }
}

const shownKeys = (page: Page) => page.$$eval("#keys li", (items) => items.map((item) => (item as HTMLElement).dataset.key));

async function openStore(page: Page, name: string): Promise<void> {
  await page.click(`#stores button[data-store="${name}"]`);
  await page.waitForSelector(`#stores button[data-store="${name}"][aria-current=true]`, WAIT);
}

async function openKey(page: Page, key: string): Promise<void> {
  await page.fill("#prefix", key);
  await page.click(`#keys li[data-key="${key}"] button`);
  await text(page, "#entry-key", key);
}

describe("explorer page in Chromium", () => {
  it("browses a 100,000-key store by prefix, paged with the store's cursor", async () => {
    const { page, errors } = await openExplorer();
    expect(await page.$$eval("#stores button", (buttons) => buttons.map((button) => button.textContent))).toEqual(["app0", "big100,000"]);
    await openStore(page, "big");
    await text(page, "#key-count", "100,000 keys, showing 100");
    expect((await shownKeys(page)).slice(0, 2)).toEqual(["user/00000", "user/00001"]);

    await page.fill("#prefix", "user/123");
    await text(page, "#key-count", "100 keys under 'user/123', showing 100");
    const keys = await shownKeys(page);
    expect(keys[0]).toBe("user/12300");
    expect(keys[99]).toBe("user/12399");
    expect(await page.$("#more")).toBeNull();

    await page.fill("#prefix", "user/5");
    await text(page, "#key-count", "10,000 keys under 'user/5', showing 100");
    await page.click("#more");
    await text(page, "#key-count", "10,000 keys under 'user/5', showing 200");
    expect((await shownKeys(page))[199]).toBe("user/50199");
    expect(errors).toEqual([]);
  });

  it("shows a JSON value pretty, edits it, and the app reads the change through KVStore", async () => {
    const app = new KVStore("app");
    await app.put("config/flags", '{"beta":true,"limit":3}', { metadata: "v1", ttl: 3600 });
    const { page, errors } = await openExplorer();
    await openStore(page, "app");
    await openKey(page, "config/flags");
    expect(await page.getAttribute("#view-json", "aria-pressed")).toBe("true");
    await text(page, "#value", '{\n  "beta": true,\n  "limit": 3\n}');
    await text(page, "#entry-metadata", "v1");
    await text(page, "#entry-size", "23 bytes (23 B)");
    const before = (await registry.store("app").inspect("config/flags"))!.generation;
    await text(page, "#entry-generation", String(before));

    await page.click("#edit");
    await page.fill("#edit-value", '{"beta":false,"limit":5}');
    await page.fill("#edit-metadata", "v2\nedited in the explorer");
    await page.click("#save");
    await text(page, "#notice", /^Saved 'config\/flags' \(generation \d+\)$/);

    const entry = await app.get("config/flags");
    expect(await entry!.text()).toBe('{"beta":false,"limit":5}');
    expect(entry!.metadataText()).toBe("v2\nedited in the explorer");
    const after = await registry.store("app").inspect("config/flags");
    expect(after!.generation).toBeGreaterThan(before);
    expect(after!.expiresAt!.getTime()).toBe(START + 3600 * 1000); // the TTL field kept the time left
    await text(page, "#value", '{\n  "beta": false,\n  "limit": 5\n}');
    expect(errors).toEqual([]);
  });

  it("saves what the editor was not asked to change byte for byte: a leading BOM, CR/LF, JSON as written, metadata that is not UTF-8", async () => {
    const app = new KVStore("app");
    const admin = registry.store("app");
    const value = new TextEncoder().encode('\uFEFF{"a":1}\r\nline\r');
    const json = new TextEncoder().encode('{"compact":true}');
    const binary = new Uint8Array([0xff, 0x0d, 0x0a]);
    await app.put("odd/crlf", value, { metadata: binary });
    await app.put("odd/json", json, { metadata: "a\r\nb" });
    const { page, errors } = await openExplorer();
    await openStore(page, "app");
    for (const key of ["odd/crlf", "odd/json"]) {
      await openKey(page, key);
      await page.click("#edit");
      await page.fill("#edit-ttl", "600"); // the only change
      await page.click("#save");
      await text(page, "#notice", new RegExp(`^Saved '${key}'`));
    }
    const crlf = (await admin.inspect("odd/crlf"))!;
    expect([[...crlf.value], crlf.metadata && [...crlf.metadata]]).toEqual([[...value], [...binary]]);
    expect(crlf.expiresAt!.getTime()).toBe(START + 600_000);
    const compact = (await admin.inspect("odd/json"))!;
    expect([compact.text, compact.metadataText]).toEqual(['{"compact":true}', "a\r\nb"]);

    // A value or metadata holding CR cannot be edited as text (a text box turns CR into LF): the editor says so.
    await openKey(page, "odd/crlf");
    await page.click("#edit");
    expect(await page.isDisabled("#edit-value")).toBe(true);
    expect(await page.isDisabled("#edit-metadata")).toBe(true);
    await text(page, "#value-note", "The value holds carriage returns, which a text box would turn into line feeds: pick a file to replace it.");
    await text(page, "#metadata-note", "The metadata is not UTF-8 text: it is kept as it is.");
    expect(errors).toEqual([]);
  });

  it("reports a conflict when the app changed the key after the page read it, and overwrites nothing", async () => {
    const app = new KVStore("app");
    await app.put("cart/7", "two apples");
    const { page } = await openExplorer();
    await openStore(page, "app");
    await openKey(page, "cart/7");
    await page.click("#edit");
    await app.put("cart/7", "three apples"); // the app writes meanwhile
    await page.fill("#edit-value", "one pear");
    await page.click("#save");
    await text(page, "#notice", /^Conflict: key "cart\/7" was not written because it changed since you read it \(generation \d+ now\)\. Nothing was overwritten\.$/);
    await text(page, "#conflict pre", "three apples");
    expect(await (await app.get("cart/7"))!.text()).toBe("three apples");

    // A new key is created with mode add: an existing key is not clobbered either.
    await page.click("text=Cancel");
    await page.click("#new-key");
    await page.fill("#edit-key", "cart/7");
    await page.fill("#edit-value", "a melon");
    await page.click("#save");
    await text(page, "#notice", /^Conflict: key "cart\/7" was not written because it already exists/);
    expect(await (await app.get("cart/7"))!.text()).toBe("three apples");
  });

  it("deletes by prefix after a confirmation that states the count", async () => {
    const app = new KVStore("app");
    for (const key of ["tmp/a", "tmp/b", "tmp/c/d", "tmpx", "keep/1"]) await app.put(key, "x");
    const { page } = await openExplorer();
    await openStore(page, "app");
    await page.fill("#prefix", "tmp/");
    await text(page, "#key-count", "3 keys under 'tmp/', showing 3");
    await page.click("#delete-prefix");
    await text(page, "#confirm-text", "Delete 3 keys under prefix 'tmp/' in store 'app'? This cannot be undone.");
    expect(await page.$eval("#confirm", (dialog) => (dialog as HTMLDialogElement).open && dialog.matches(":modal"))).toBe(true); // modal as soon as it shows
    await page.keyboard.press("Escape"); // cancel: the dialog goes away (on the next render) and nothing is deleted
    await page.waitForSelector("#confirm", { ...WAIT, state: "detached" });
    expect(await page.$("#confirm")).toBeNull();
    expect((await app.list({ prefix: "tmp" })).list).toEqual(["tmp/a", "tmp/b", "tmp/c/d", "tmpx"]);

    await page.click("#delete-prefix");
    await page.click("#confirm-ok");
    await text(page, "#notice", "Deleted 3 keys");
    await text(page, "#key-count", "0 keys under 'tmp/', showing 0");
    expect((await app.list({ prefix: "tmp" })).list).toEqual(["tmpx"]);
    expect(await app.get("keep/1")).not.toBeNull();
  });

  it("counts a TTL down live, on the stores' fake clock and the page's", async () => {
    await new KVStore("app").put("session/abc", "token", { ttl: 90 });
    const { page } = await openExplorer({ fakeClock: true });
    await openStore(page, "app");
    await page.fill("#prefix", "session/");
    await page.waitForSelector('#keys li[data-key="session/abc"]', WAIT);
    // From here on the page's time moves only when the test says so.
    await page.clock.pauseAt((await page.evaluate(() => Date.now())) + 1000);
    await page.click('#keys li[data-key="session/abc"] button');
    await page.clock.runFor(200); // effects run after the next animation frame
    await text(page, "#entry-ttl", "expires in 1m 30s");
    await page.clock.runFor(30_500); // the countdown ticks once a second
    await text(page, "#entry-ttl", "expires in 1m 00s");
    await page.clock.runFor(59_000);
    await text(page, "#entry-ttl", "expires in 1s");
    clock.advance(90_000); // the stores' time passes too: the entry is gone when the page looks again
    await page.clock.runFor(1_000);
    await text(page, "#entry-missing", "Key 'session/abc' does not exist (deleted or expired).");
  });

  it("shows values, keys and metadata holding HTML as text, never as markup", async () => {
    const hostile = `<script>window.__xss = "script"</script><img src=x onerror="window.__xss = 'img'">`;
    const key = `xss/<b onmouseover=alert(1)>bold</b>`;
    await new KVStore("app").put(key, hostile, { metadata: `<img src=y onerror="window.__xss = 'metadata'">` });
    const { page, errors } = await openExplorer();
    await openStore(page, "app");
    await openKey(page, key);
    await text(page, "#value", hostile);
    await text(page, "#entry-metadata", `<img src=y onerror="window.__xss = 'metadata'">`);
    await page.click("#view-hex");
    await text(page, "#value", /^00000000  3c 73 63 72 69 70 74 3e/);
    await page.click("#view-text");
    await text(page, "#value", hostile);
    expect(await page.$$eval("#entry img, #entry script, #entry b, #keys b", (found) => found.length)).toBe(0);
    expect(await page.evaluate(() => (window as { __xss?: string }).__xss)).toBeUndefined();
    expect(errors).toEqual([]);
  });

  it("shows the app's operations live in the log, filterable by store and key", async () => {
    const { page } = await openExplorer();
    await text(page, "#log-state", "live");
    const app = new KVStore("app");
    await app.put("orders/1", "pending");
    await app.get("orders/1");
    await app.get("orders/missing");
    await page.selectOption("#log-store", "app");
    await page.fill("#log-key", "orders/");
    await page.waitForFunction(() => document.querySelectorAll("#log-rows tr").length === 3, undefined, WAIT);
    const rows = await page.$$eval("#log-rows tr", (trs) => trs.map((tr) => [...tr.querySelectorAll("td")].slice(2, 6).map((td) => td.textContent)));
    expect(rows).toEqual([
      ["app", "lookup", "orders/missing", "not-found"],
      ["app", "lookup", "orders/1", "ok"],
      ["app", "insert", "orders/1", "ok"],
    ]);
  });
});
