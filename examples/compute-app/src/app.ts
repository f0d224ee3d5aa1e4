/**
 * A link shortener for Fastly Compute, written only against the `fastly:*` modules and the Fetch API.
 *
 *   POST   /links            {"url": "https://...", "slug"?: "docs", "ttl"?: 3600}  → 201 {slug, url, short}
 *   GET    /links?limit=&cursor=                                                     → 200 {links: [...], cursor}
 *   GET    /links/:slug                                                              → 200 {slug, url, created, note}
 *   DELETE /links/:slug                                                              → 204
 *   GET    /:slug                                                                    → 302 Location: url
 *
 * Each link is the key `link:<slug>`: the value is the target URL, the metadata a small JSON object
 * ({ created, note }), and an optional TTL makes it expire. A busy store (`Too many requests.`)
 * answers 503 with Retry-After so clients retry. How many links a page lists at most comes from the
 * `settings` config store (`max_list`); `GET /` says which service version runs (`fastly:env`).
 */
import { ConfigStore } from "fastly:config-store";
import { env } from "fastly:env";
import { KVStore } from "fastly:kv-store";

export const STORE_NAME = "links";
const PREFIX = "link:";
const SLUG = /^[A-Za-z0-9_-]{1,64}$/;
const DEFAULT_MAX_LIST = 100;

interface LinkMetadata {
  created: string;
  note?: string;
}

export async function handleRequest(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const store = new KVStore(STORE_NAME);
  try {
    const parts = url.pathname.split("/").filter(Boolean);
    if (parts[0] === "links") {
      if (parts.length === 1 && request.method === "POST") return await createLink(store, request, url);
      if (parts.length === 1 && request.method === "GET") return await listLinks(store, url);
      if (parts.length === 2 && request.method === "GET") return await describeLink(store, parts[1]!);
      if (parts.length === 2 && request.method === "DELETE") return await deleteLink(store, parts[1]!);
      return json({ error: `${request.method} ${url.pathname} is not supported` }, 405);
    }
    if (parts.length === 1 && (request.method === "GET" || request.method === "HEAD")) return await redirect(store, parts[0]!);
    if (parts.length === 0) return json({ service: "link shortener", version: env("FASTLY_SERVICE_VERSION") ?? null, try: "POST /links {\"url\": \"https://example.com\"}" });
    return json({ error: "not found" }, 404);
  } catch (error) {
    if (error instanceof TypeError && error.message.endsWith("Too many requests.")) {
      return json({ error: "the link store is busy, retry shortly" }, 503, { "retry-after": "1" });
    }
    throw error;
  }
}

async function createLink(store: KVStore, request: Request, url: URL): Promise<Response> {
  let body: { url?: unknown; slug?: unknown; ttl?: unknown; note?: unknown };
  try {
    body = await request.json();
  } catch {
    return json({ error: "send a JSON body like {\"url\": \"https://example.com\"}" }, 400);
  }
  if (typeof body.url !== "string" || !/^https?:\/\//.test(body.url)) return json({ error: "url must be an http(s) URL" }, 400);
  if (body.ttl !== undefined && !(typeof body.ttl === "number" && Number.isInteger(body.ttl) && body.ttl > 0)) {
    return json({ error: "ttl must be a positive whole number of seconds" }, 400);
  }
  if (body.slug !== undefined && (typeof body.slug !== "string" || !SLUG.test(body.slug))) {
    return json({ error: "slug must be 1-64 letters, digits, '-' or '_'" }, 400);
  }
  const slug = typeof body.slug === "string" ? body.slug : randomSlug();
  const metadata: LinkMetadata = { created: new Date().toISOString(), ...(typeof body.note === "string" ? { note: body.note } : {}) };
  try {
    // mode "add": never overwrite someone else's link.
    await store.put(PREFIX + slug, body.url, { metadata: JSON.stringify(metadata), mode: "add", ...(body.ttl ? { ttl: body.ttl } : {}) });
  } catch (error) {
    if (error instanceof TypeError && error.message === "KVStore insert: Precondition failed.") return json({ error: `slug '${slug}' is taken` }, 409);
    throw error;
  }
  return json({ slug, url: body.url, short: `${url.origin}/${slug}` }, 201, { location: `/links/${slug}` });
}

async function listLinks(store: KVStore, url: URL): Promise<Response> {
  const maxList = Number(new ConfigStore("settings").get("max_list") ?? DEFAULT_MAX_LIST) || DEFAULT_MAX_LIST;
  const limit = Math.min(Number(url.searchParams.get("limit") ?? 20) || 20, maxList);
  const cursor = url.searchParams.get("cursor") ?? undefined;
  const page = await store.list({ prefix: PREFIX, limit, ...(cursor ? { cursor } : {}) });
  return json({ links: page.list.map((key) => key.slice(PREFIX.length)), cursor: page.cursor ?? null });
}

async function describeLink(store: KVStore, slug: string): Promise<Response> {
  const entry = SLUG.test(slug) ? await store.get(PREFIX + slug) : null;
  if (entry === null) return json({ error: `no link '${slug}'` }, 404);
  const metadata = JSON.parse(entry.metadataText() ?? "{}") as Partial<LinkMetadata>;
  return json({ slug, url: await entry.text(), created: metadata.created ?? null, note: metadata.note ?? null });
}

async function deleteLink(store: KVStore, slug: string): Promise<Response> {
  try {
    if (!SLUG.test(slug)) return json({ error: `no link '${slug}'` }, 404);
    await store.delete(PREFIX + slug);
  } catch (error) {
    if (error instanceof TypeError && error.message === "KVStore delete: Not found.") return json({ error: `no link '${slug}'` }, 404);
    throw error;
  }
  return new Response(null, { status: 204 });
}

async function redirect(store: KVStore, slug: string): Promise<Response> {
  const entry = SLUG.test(slug) ? await store.get(PREFIX + slug) : null;
  if (entry === null) return json({ error: `no link '${slug}'` }, 404);
  return new Response(null, { status: 302, headers: { location: await entry.text() } });
}

function randomSlug(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyz23456789";
  const bytes = crypto.getRandomValues(new Uint8Array(7));
  return Array.from(bytes, (byte) => alphabet[byte % alphabet.length]).join("");
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}
