import { describe, expect, it } from "vitest";
import { loadApp } from "edge-kv/host";
import { getTestKv } from "edge-kv/testing";

// The app's real entry point (a fetch-event listener), loaded as Compute runs it; requests reach it as a client's would.
const app = await loadApp(new URL("../src/index.ts", import.meta.url), { origin: "https://sho.rt" });
const call = (path: string, init?: RequestInit) => app.fetch(path, init);
const create = (body: unknown) => call("/links", { method: "POST", body: JSON.stringify(body), headers: { "content-type": "application/json" } });

describe("link shortener (stores seeded from fastly.toml before every test)", () => {
  it("redirects a seeded slug to its URL", async () => {
    const response = await call("/home");
    expect(response.status).toBe(302);
    expect(response.headers.get("location")).toBe("https://www.fastly.com/");
  });

  it("describes a seeded link with the note from its metadata", async () => {
    const response = await call("/links/docs");
    expect(await response.json()).toEqual({
      slug: "docs",
      url: "https://www.fastly.com/documentation/guides/concepts/edge-state/data-stores/",
      created: "2025-01-01T00:00:00.000Z",
      note: "KV store docs",
    });
  });

  it("creating a link stores the URL with JSON metadata and its TTL", async () => {
    const kv = getTestKv();
    const response = await create({ url: "https://example.com/a", slug: "ex", ttl: 600, note: "demo" });
    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ slug: "ex", url: "https://example.com/a", short: "https://sho.rt/ex" });
    const stored = await kv.entry("links", "link:ex");
    expect(stored).toMatchObject({ text: "https://example.com/a", expiresAt: new Date(kv.clock.now() + 600_000) });
    expect(JSON.parse(stored!.metadataText!)).toMatchObject({ note: "demo" });
  });

  it("each test starts from the fastly.toml seed: the link made by the previous test is gone", async () => {
    expect(Object.keys(await getTestKv().snapshot("links"))).toEqual(["link:docs", "link:home"]);
  });

  it("a link with a TTL stops redirecting once the TTL has passed on the fake clock", async () => {
    await create({ url: "https://example.com/t", slug: "brief", ttl: 60 });
    expect((await call("/brief")).status).toBe(302);
    getTestKv().advanceSeconds(60);
    expect((await call("/brief")).status).toBe(404);
  });

  it("refuses to overwrite a taken slug (put mode 'add') with 409", async () => {
    const response = await create({ url: "https://evil.example", slug: "home" });
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: "slug 'home' is taken" });
    expect((await getTestKv().entry("links", "link:home"))!.text).toBe("https://www.fastly.com/");
  });

  it("generates a slug when none is given", async () => {
    const { slug } = (await (await create({ url: "https://example.com/gen" })).json()) as { slug: string };
    expect(slug).toMatch(/^[a-z2-9]{7}$/);
    expect((await getTestKv().entry("links", `link:${slug}`))!.text).toBe("https://example.com/gen");
  });

  it("lists links page by page with the list cursor", async () => {
    for (const slug of ["a1", "a2", "a3"]) await create({ url: `https://example.com/${slug}`, slug });
    const first = (await (await call("/links?limit=2")).json()) as { links: string[]; cursor: string | null };
    expect(first.links).toEqual(["a1", "a2"]);
    const second = (await (await call(`/links?limit=2&cursor=${encodeURIComponent(first.cursor!)}`)).json()) as { links: string[]; cursor: string | null };
    expect(second.links).toEqual(["a3", "docs"]);
    const third = (await (await call(`/links?limit=2&cursor=${encodeURIComponent(second.cursor!)}`)).json()) as { links: string[]; cursor: string | null };
    expect(third).toEqual({ links: ["home"], cursor: null });
  });

  it("lists at most max_list links a page (the settings config store), and says which version runs (fastly:env)", async () => {
    const kv = getTestKv();
    kv.configStore("settings").set("max_list", "1");
    const page = (await (await call("/links?limit=10")).json()) as { links: string[] };
    expect(page.links).toEqual(["docs"]);
    kv.env.set({ FASTLY_SERVICE_VERSION: "42" });
    expect(await (await call("/")).json()).toMatchObject({ version: "42" });
  });

  it("deletes a link (204), then answers 404 for it and for a second delete", async () => {
    expect((await call("/links/home", { method: "DELETE" })).status).toBe(204);
    expect((await call("/home")).status).toBe(404);
    expect((await call("/links/home", { method: "DELETE" })).status).toBe(404);
  });

  it("answers 503 with Retry-After when the store reports Too many requests, and writes nothing", async () => {
    getTestKv().failNext("links", { operation: "insert" });
    const response = await create({ url: "https://example.com/busy", slug: "busy" });
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(await getTestKv().entry("links", "link:busy")).toBeNull();
  });

  it("rejects bad input with 400 and writes nothing", async () => {
    expect((await create({ url: "ftp://x" })).status).toBe(400);
    expect((await create({ url: "https://x.example", slug: "no spaces" })).status).toBe(400);
    expect((await create({ url: "https://x.example", ttl: -1 })).status).toBe(400);
    expect((await call("/links", { method: "POST", body: "{" })).status).toBe(400);
    expect(getTestKv().operations.filter((operation) => operation.operation === "insert")).toEqual([]);
  });
});
