/**
 * One registry, three URL spaces: what one client writes, KVStore and the other dialects read.
 */
import { describe, expect, test } from "vitest";
// @ts-expect-error -- the fastly package ships no type declarations
import * as Fastly from "fastly";
import { ApifyClient } from "apify-client";
import Telnyx from "telnyx";
import { KVStore } from "edge-kv";
import { useServer } from "./helpers.js";

const h = useServer();

function fastlyItems(url: string) {
  const sdk = Fastly as unknown as {
    ApiClient: new () => { plugins: unknown[]; authenticate(token: string): void; basePath: string };
    KvStoreItemApi: new (client: unknown) => Record<string, (options: Record<string, unknown>) => Promise<any>>;
    KvStoreApi: new (client: unknown) => Record<string, (options: Record<string, unknown>) => Promise<any>>;
  };
  const client = new sdk.ApiClient();
  client.authenticate("any");
  client.plugins = [(request: { url: string }) => void (request.url = request.url.replace(/^https:\/\/api\.fastly\.com/, url))];
  return { stores: new sdk.KvStoreApi(client), items: new sdk.KvStoreItemApi(client) };
}

describe("the same stores through every dialect", () => {
  test("a value written with the fastly client is read by KVStore, apify-client and telnyx, with Last-Modified and size", async () => {
    const fastly = fastlyItems(h.server.url);
    const { id } = await fastly.stores.kvStoreCreate!({ kv_store_request_create: { name: "shared" } });
    await fastly.items.kvStoreUpsertItem!({ store_id: id, key: "greeting", body: "hello", metadata: "m" });

    const entry = (await new KVStore("shared").get("greeting"))!;
    expect([await entry.text(), entry.metadataText()]).toEqual(["hello", "m"]);

    const apify = new ApifyClient({ baseUrl: h.server.url, maxRetries: 0 });
    const apifyStore = (await apify.keyValueStores().getOrCreate("shared"))!;
    const record = await apify.keyValueStore(apifyStore.id).getRecord("greeting", { buffer: true });
    expect([Buffer.from(record!.value as Buffer).toString(), record!.contentType]).toEqual(["hello", "application/octet-stream"]);

    const telnyx = new Telnyx({ apiKey: "any", baseURL: `${h.server.url}/v2`, maxRetries: 0 });
    const namespace = (await telnyx.storage.kvs.list()).data.find((ns) => ns.name === "shared")!;
    expect(await (await telnyx.storage.kvs.keys.retrieve("greeting", { id: namespace.id! })).text()).toBe("hello");
    const keys = await telnyx.storage.kvs.keys.list(namespace.id!);
    expect(keys.data).toEqual([{ key: "greeting", size_bytes: 5, updated_at: new Date(h.clock.now()).toISOString() }]);
  });

  test("a record written with apify-client keeps its Content-Type for telnyx and is served raw by the Fastly API", async () => {
    const apify = new ApifyClient({ baseUrl: h.server.url, maxRetries: 0 });
    const store = (await apify.keyValueStores().getOrCreate("docs"))!;
    await apify.keyValueStore(store.id).setRecord({ key: "OUTPUT", value: { a: 1 } });

    const telnyx = new Telnyx({ apiKey: "any", baseURL: `${h.server.url}/v2`, maxRetries: 0 });
    const namespace = (await telnyx.storage.kvs.list()).data.find((ns) => ns.name === "docs")!;
    const response = await telnyx.storage.kvs.keys.retrieve("OUTPUT", { id: namespace.id! });
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");

    const fastlyId = ((await (await h.call("/resources/stores/kv?name=docs")).json()) as { data: { id: string }[] }).data[0]!.id;
    const raw = await h.call(`/resources/stores/kv/${fastlyId}/keys/OUTPUT`);
    expect([await raw.text(), raw.headers.get("content-type")]).toEqual(['{\n  "a": 1\n}', "application/octet-stream"]);
  });

  test("a store defined in code gets ids in every dialect on first sight, and a Fastly write is visible to KVStore at once", async () => {
    h.registry.defineStore("flags");
    const fastly = (await (await h.call("/resources/stores/kv?name=flags")).json()) as { data: { id: string }[] };
    await h.call(`/resources/stores/kv/${fastly.data[0]!.id}/keys/beta`, { method: "PUT", body: "on" });
    expect(await (await new KVStore("flags").get("beta"))!.text()).toBe("on");
    const apify = (await (await h.call("/v2/key-value-stores")).json()) as { data: { items: { name: string; id: string }[] } };
    expect(apify.data.items.map((s) => s.name)).toEqual(["flags"]);
    const telnyx = (await (await h.call("/v2/storage/kvs")).json()) as { data: { name: string; status: string }[] };
    expect(telnyx.data.map((s) => [s.name, s.status])).toEqual([["flags", "provision_ok"]]);
  });
});
