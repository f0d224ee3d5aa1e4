/**
 * The link shortener's logic: plain `fastly:kv-store` calls, so this module moves into the Compute
 * service unchanged. In the browser prototype, edge-kv serves `fastly:kv-store` from IndexedDB.
 */
import { KVStore } from "fastly:kv-store";

export interface Link {
  slug: string;
  url: string;
  /** When the link was created (ISO 8601), kept in the entry's metadata. */
  created: string;
}

export type CreateResult = { ok: true } | { ok: false; reason: string };

const PRECONDITION_FAILED = "KVStore insert: Precondition failed.";

export class Shortener {
  readonly #store: KVStore;

  constructor(storeName: string) {
    this.#store = new KVStore(storeName);
  }

  /** Stores `slug` → `url` unless the slug is taken (insert mode "add": atomic, even across tabs). */
  async create(slug: string, url: string): Promise<CreateResult> {
    if (!URL.canParse(url)) return { ok: false, reason: `'${url}' is not an absolute URL` };
    try {
      await this.#store.put(slug, url, { mode: "add", metadata: JSON.stringify({ created: new Date().toISOString() }) });
      return { ok: true };
    } catch (error) {
      if (error instanceof TypeError && error.message === PRECONDITION_FAILED) return { ok: false, reason: `'${slug}' is taken` };
      return { ok: false, reason: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The link stored under `slug`, or null. */
  async resolve(slug: string): Promise<Link | null> {
    const entry = await this.#store.get(slug);
    if (entry === null) return null;
    const metadata = entry.metadataText();
    const created = metadata === null ? "" : (JSON.parse(metadata) as { created: string }).created;
    return { slug, url: await entry.text(), created };
  }

  /** Every link, in key order, a page of 100 keys at a time. */
  async all(): Promise<Link[]> {
    const links: Link[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.#store.list({ limit: 100, ...(cursor === undefined ? {} : { cursor }) });
      for (const slug of page.list) {
        const link = await this.resolve(slug);
        if (link !== null) links.push(link);
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
    return links;
  }

  async remove(slug: string): Promise<void> {
    await this.#store.delete(slug);
  }
}
