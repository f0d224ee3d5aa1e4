// The README quick start: define a store, then use it exactly as a Compute app uses fastly:kv-store.
import { FakeClock, KVStore, resetRegistry } from "edge-kv";

export async function quickstart(log: (line: string) => void = console.log): Promise<void> {
  const clock = new FakeClock();
  const registry = resetRegistry({ clock }); // a fresh, isolated set of stores
  registry.defineStore("sessions"); // in-memory by default

  const store = new KVStore("sessions"); // the same class as `fastly:kv-store`
  await store.put("user:1", JSON.stringify({ name: "Ada" }), { metadata: "v2", ttl: 3600 });
  const entry = await store.get("user:1");
  log(`get user:1 -> ${await entry!.text()} (metadata ${entry!.metadataText()})`);

  await store.put("user:1", "second", { mode: "add" }).catch((error: Error) => log(`add again -> ${error.name}: ${error.message}`));
  log(`list -> ${JSON.stringify(await store.list({ prefix: "user:" }))}`);

  const { generation } = (await registry.store("sessions").inspect("user:1"))!; // the admin API sees generations
  await store.put("user:1", "updated", { gen: generation, ttl: 3600 }); // a write without ttl would clear it
  log(`put with gen ${generation} -> ok`);

  clock.advanceSeconds(3600); // the session's TTL passes
  log(`after 1 hour: get user:1 -> ${await store.get("user:1")}`);
  await store.delete("user:1").catch((error: Error) => log(`delete -> ${error.name}: ${error.message}`));
}

if (import.meta.url === `file://${process.argv[1]}`) await quickstart();
