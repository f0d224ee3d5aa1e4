/**
 * How the app behaves when the store behaves like the real, distributed one: stale reads for a
 * while after a write, slow operations, repeated failures. All deterministic: no real waiting.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadApp } from "edge-kv/host";
import { getTestKv } from "edge-kv/testing";

const entry = new URL("../src/index.ts", import.meta.url);
const app = await loadApp(entry, { origin: "https://sho.rt" });
const call = (path: string, init?: RequestInit) => app.fetch(path, init);
const create = (body: unknown) => call("/links", { method: "POST", body: JSON.stringify(body) });

afterEach(() => vi.useRealTimers());

describe("eventual consistency (simulated)", () => {
  it("a link just created can still 404 until the stale window has passed, while the listing shows it at once", async () => {
    const kv = getTestKv();
    kv.simulateEventualConsistency("links", { staleForMs: 60_000 });
    expect((await create({ url: "https://example.com/", slug: "fresh" })).status).toBe(201);
    expect((await call("/fresh")).status).toBe(404);
    expect(((await (await call("/links")).json()) as { links: string[] }).links).toContain("fresh");
    kv.advanceSeconds(60);
    expect((await call("/fresh")).status).toBe(302);
  });

  it("a deleted link can keep redirecting for the stale window", async () => {
    const kv = getTestKv();
    kv.simulateEventualConsistency("links", { staleForMs: 5_000 });
    expect((await call("/links/home", { method: "DELETE" })).status).toBe(204);
    expect((await call("/home")).status).toBe(302);
    kv.advance(5_000);
    expect((await call("/home")).status).toBe(404);
  });
});

describe("a slow or failing store", () => {
  it("waits for a slow lookup instead of failing", async () => {
    vi.useFakeTimers();
    getTestKv().delay("links", 250, { operation: "lookup" });
    let status = 0;
    const pending = call("/home").then((response) => (status = response.status));
    await vi.advanceTimersByTimeAsync(249);
    expect(status).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await pending;
    expect(status).toBe(302);
  });

  it("answers 503 for every request while the store keeps rejecting, and recovers after", async () => {
    const kv = getTestKv();
    const outage = kv.failNext("links", { times: Infinity });
    expect((await call("/home")).status).toBe(503);
    expect((await call("/links")).status).toBe(503);
    outage.cancel();
    expect((await call("/home")).status).toBe(302);
  });

  it("an error other than Too many requests is not hidden: the client gets the runtime's 500, onError the runtime's TypeError", async () => {
    const errors: unknown[] = [];
    const watched = await loadApp(entry, { origin: "https://sho.rt", onError: (error) => errors.push(error) });
    getTestKv().failNext("links", { operation: "lookup", error: "internal-error" });
    const response = await watched.fetch("/home");
    expect([response.status, await response.text()]).toEqual([500, ""]);
    expect(errors).toEqual([new TypeError("KVStore lookup: Internal error.")]);
  });
});
