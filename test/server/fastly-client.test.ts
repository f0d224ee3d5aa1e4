/**
 * The official `fastly` npm client (13.0.0), unmodified, pointed at the local server the way the
 * reference describes (§2.1: a superagent plugin rewrites https://api.fastly.com to the local URL).
 * Every KV operation the client offers is exercised.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
// @ts-expect-error -- the fastly package ships no type declarations
import * as Fastly from "fastly";
import { KVStore } from "edge-kv";
import { useServer } from "./helpers.js";

const h = useServer({ token: "local-token" });

interface FastlyClient {
  plugins: ((request: { url: string }) => void)[] | null;
  authenticate(token: string): void;
}
interface ClientError {
  status: number;
  body: unknown;
}

const sdk = Fastly as unknown as {
  ApiClient: { instance: FastlyClient };
  KvStoreApi: new () => Record<string, (options: Record<string, unknown>) => Promise<any>>;
  KvStoreItemApi: new () => Record<string, (options: Record<string, unknown>) => Promise<any>>;
};

let stores: Record<string, (options: Record<string, unknown>) => Promise<any>>;
let items: Record<string, (options: Record<string, unknown>) => Promise<any>>;
let savedEnvToken: string | undefined;

beforeAll(() => {
  savedEnvToken = process.env.FASTLY_API_TOKEN;
  delete process.env.FASTLY_API_TOKEN; // the client authenticates from it in every Api constructor
  const client = sdk.ApiClient.instance;
  client.authenticate("local-token");
  client.plugins = [(request) => void (request.url = request.url.replace(/^https:\/\/api\.fastly\.com/, h.server.url))];
  stores = new sdk.KvStoreApi();
  items = new sdk.KvStoreItemApi();
});

afterAll(() => {
  sdk.ApiClient.instance.plugins = null;
  if (savedEnvToken !== undefined) process.env.FASTLY_API_TOKEN = savedEnvToken;
});

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    return error as ClientError;
  }
  throw new Error("expected the client call to fail");
}

describe("official fastly client against the local server", () => {
  test("store operations: create (with location), get, list (limit, name), delete (409 while not empty)", async () => {
    const created = await stores.kvStoreCreate!({ location: "US", kv_store_request_create: { name: "research-store" } });
    expect(created.name).toBe("research-store");
    expect(created.id).toMatch(/^[a-z0-9]{22}$/);
    expect(await stores.kvStoreGet!({ store_id: created.id })).toMatchObject({ id: created.id, name: "research-store" });
    const listed = await stores.kvStoreList!({ limit: 10, name: "research-store" });
    expect(listed.data.map((s: { id: string }) => s.id)).toEqual([created.id]);
    expect(listed.meta.limit).toBe(10);

    await items.kvStoreUpsertItem!({ store_id: created.id, key: "k", body: "v" });
    const conflict = await failure(stores.kvStoreDelete!({ store_id: created.id }));
    expect(conflict.status).toBe(409);
    await items.kvStoreDeleteItem!({ store_id: created.id, key: "k" });
    await stores.kvStoreDelete!({ store_id: created.id });
    expect((await failure(stores.kvStoreGet!({ store_id: created.id }))).status).toBe(404);
  });

  test("item operations: upsert with metadata/TTL/modes/generation, get with headers, list keys, delete with force", async () => {
    const { id } = await stores.kvStoreCreate!({ kv_store_request_create: { name: "items" } });
    await items.kvStoreUpsertItem!({ store_id: id, key: "dir/a b-1", body: "hello", time_to_live_sec: 60, metadata: "meta-1" });
    await items.kvStoreUpsertItem!({ store_id: id, key: "bin", body: Buffer.from([0, 1, 2, 255]) });

    const addFailure = await failure(items.kvStoreUpsertItem!({ store_id: id, key: "bin", body: "x", add: true }));
    expect(addFailure.status).toBe(412);

    const withInfo = await items.kvStoreGetItemWithHttpInfo!({ store_id: id, key: "dir/a b-1" });
    expect(Buffer.from(withInfo.data).toString()).toBe("hello");
    expect(withInfo.response.headers.metadata).toBe("meta-1");
    const generation = Number(withInfo.response.headers.generation);

    await items.kvStoreUpsertItem!({ store_id: id, key: "dir/a b-1", body: "!!", append: true, background_fetch: true, if_generation_match: generation });
    expect(Buffer.from(await items.kvStoreGetItem!({ store_id: id, key: "dir/a b-1" })).toString()).toBe("hello!!");
    const stale = await failure(items.kvStoreUpsertItem!({ store_id: id, key: "dir/a b-1", body: "x", if_generation_match: generation }));
    expect(stale.status).toBe(412);
    await items.kvStoreUpsertItem!({ store_id: id, key: "bin", body: "pre-", prepend: true });
    expect(new Uint8Array(await items.kvStoreGetItem!({ store_id: id, key: "bin" }))).toEqual(new Uint8Array([...Buffer.from("pre-"), 0, 1, 2, 255]));

    expect((await failure(items.kvStoreGetItem!({ store_id: id, key: "missing" }))).status).toBe(404);

    const page = await items.kvStoreListItemKeys!({ store_id: id, limit: 1, prefix: "d", consistency: "eventual" });
    expect(page.data).toEqual(["dir/a b-1"]);
    expect(page.meta.limit).toBe(1);
    const first = await items.kvStoreListItemKeys!({ store_id: id, limit: 1 });
    expect(first.data).toEqual(["bin"]);
    const second = await items.kvStoreListItemKeys!({ store_id: id, limit: 1, cursor: first.meta.next_cursor });
    expect(second.data).toEqual(["dir/a b-1"]);

    const delGeneration = (await h.registry.store("items").inspect("bin"))!.generation;
    expect((await failure(items.kvStoreDeleteItem!({ store_id: id, key: "bin", if_generation_match: delGeneration + 1 }))).status).toBe(412);
    await items.kvStoreDeleteItem!({ store_id: id, key: "bin", if_generation_match: delGeneration });
    expect((await failure(items.kvStoreDeleteItem!({ store_id: id, key: "bin" }))).status).toBe(404);
    await items.kvStoreDeleteItem!({ store_id: id, key: "never-existed", force: true });
    expect(await h.registry.store("items").snapshot()).toEqual({ "dir/a b-1": "hello!!" });
  });

  test("what the client writes, KVStore reads, and what KVStore writes, the client reads", async () => {
    const { id } = await stores.kvStoreCreate!({ kv_store_request_create: { name: "shared" } });
    await items.kvStoreUpsertItem!({ store_id: id, key: "from-rest", body: "r", metadata: "m" });
    const entry = (await new KVStore("shared").get("from-rest"))!;
    expect([await entry.text(), entry.metadataText()]).toEqual(["r", "m"]);
    await new KVStore("shared").put("from-js", "j");
    expect(Buffer.from(await items.kvStoreGetItem!({ store_id: id, key: "from-js" })).toString()).toBe("j");
  });

  test("a wrong token is refused with 401", async () => {
    sdk.ApiClient.instance.authenticate("wrong");
    try {
      expect((await failure(stores.kvStoreList!({}))).status).toBe(401);
    } finally {
      sdk.ApiClient.instance.authenticate("local-token");
    }
  });
});
