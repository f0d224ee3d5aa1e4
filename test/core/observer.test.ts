import { afterEach, describe, expect, it, vi } from "vitest";
import { FakeClock, KVRegistry, KVStore, setOperationContextProvider, setRegistry, type OperationEvent } from "edge-kv";
import { createTestKv } from "edge-kv/testing";

let previous: KVRegistry | undefined;
afterEach(() => {
  if (previous) setRegistry(previous);
  previous = undefined;
  setOperationContextProvider(null);
});

function setup() {
  const registry = new KVRegistry({ clock: new FakeClock() });
  registry.defineStore("s");
  previous = setRegistry(registry);
  const events: OperationEvent[] = [];
  const unsubscribe = registry.onOperation((event) => events.push(event));
  return { registry, events, unsubscribe, store: new KVStore("s") };
}

/** The fields that do not depend on timing. */
const stable = ({ startedAt, durationMs, ...rest }: OperationEvent) => {
  expect(startedAt).toBeGreaterThan(Date.UTC(2024, 0, 1)); // the wall clock, not the stores' fake clock (2025-01-01)
  expect(durationMs).toBeGreaterThanOrEqual(0);
  return rest;
};

describe("registry.onOperation", () => {
  it("reports every KVStore operation with its outcome, generation and size", async () => {
    const { events, store, registry } = setup();
    await store.put("k", "hello", { mode: "add" });
    const { generation } = (await registry.store("s").inspect("k"))!;
    events.length = 0;
    await store.get("k");
    await store.get("missing");
    await store.list({ prefix: "k" });
    await store.delete("k");
    await expect(store.delete("k")).rejects.toThrow("KVStore delete: Not found.");
    expect(events.map(stable)).toEqual([
      { store: "s", operation: "lookup", key: "k", outcome: "ok", generation, size: 5 },
      { store: "s", operation: "lookup", key: "missing", outcome: "not-found" },
      { store: "s", operation: "list", prefix: "k", outcome: "ok" },
      { store: "s", operation: "delete", key: "k", outcome: "ok" },
      { store: "s", operation: "delete", key: "k", outcome: "not-found" },
    ]);
  });

  it("reports the record a write stored, and a failed precondition with its error", async () => {
    const { events, store } = setup();
    await store.put("k", "ab");
    await store.put("k", "cd", { mode: "append" });
    await expect(store.put("k", "x", { mode: "add" })).rejects.toThrow("KVStore insert: Precondition failed.");
    const [first, second, third] = events.map(stable);
    expect(first).toMatchObject({ operation: "insert", key: "k", mode: "overwrite", outcome: "ok", size: 2 });
    expect(second).toMatchObject({ operation: "insert", key: "k", mode: "append", outcome: "ok", size: 4 });
    expect(second!.generation).toBeGreaterThan(first!.generation!);
    expect(third).toEqual({ store: "s", operation: "insert", key: "k", mode: "add", outcome: "precondition-failed", error: { name: "KVError", message: "Precondition failed." } });
  });

  it("reports operations of the admin API too, and a store error as 'error'", async () => {
    const kv = createTestKv({ stores: { s: {} } });
    previous = undefined;
    const events: OperationEvent[] = [];
    kv.registry.onOperation((event) => events.push(event));
    await kv.store("s").put("a", "1");
    kv.failNext("s", { operation: "get" });
    await expect(new KVStore("s").get("a")).rejects.toThrow("KVStore lookup: Too many requests.");
    expect(events.map(stable)).toEqual([
      expect.objectContaining({ operation: "insert", key: "a", outcome: "ok", size: 1 }),
      { store: "s", operation: "lookup", key: "a", outcome: "error", error: { name: "KVError", message: "Too many requests." } },
    ]);
    kv.restore();
  });

  it("reports a metadata over the limit as an error of the insert", async () => {
    const { events, store } = setup();
    await expect(store.put("k", "v", { metadata: "m".repeat(1001) })).rejects.toThrow("KVStore insert: Payload too large.");
    expect(events.map(stable)).toEqual([
      { store: "s", operation: "insert", key: "k", mode: "overwrite", outcome: "error", error: { name: "LimitExceededError", message: "KVStore.put: metadata can not be more than 1000 bytes" } },
    ]);
  });

  it("stops after unsubscribe, covers stores defined later, and names a renamed store by its new name", async () => {
    const { events, unsubscribe, registry } = setup();
    registry.defineStore("later");
    await new KVStore("later").put("k", "v");
    registry.renameStore("later", "renamed");
    await new KVStore("renamed").get("k");
    expect(events.map((event) => `${event.store} ${event.operation}`)).toEqual(["later insert", "renamed lookup"]);
    unsubscribe();
    unsubscribe(); // twice is harmless
    await new KVStore("s").put("k", "v");
    expect(events).toHaveLength(2);
    expect(registry.lookup("s")!.observer).toBeNull(); // nobody listens: the core takes its unobserved path
  });

  it("keeps other listeners and the operation going when a listener throws", async () => {
    const { events, registry, store } = setup();
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    registry.onOperation(() => {
      throw new Error("listener bug");
    });
    await store.put("k", "v");
    expect(await (await store.get("k"))!.text()).toBe("v");
    expect(events).toHaveLength(2);
    expect(error).toHaveBeenCalledTimes(2);
    error.mockRestore();
  });

  it("attaches the context provider's object, read when the operation starts", async () => {
    const { events, store } = setup();
    let requestId = 1;
    setOperationContextProvider(() => ({ requestId }));
    const pending = store.put("k", "v");
    requestId = 2;
    await pending;
    setOperationContextProvider(() => undefined);
    await store.get("k");
    expect(events[0]!.context).toEqual({ requestId: 1 });
    expect("context" in events[1]!).toBe(false);
  });

  it("refuses a listener or provider that is not a function", () => {
    const registry = new KVRegistry();
    expect(() => registry.onOperation("no" as never)).toThrow("edge-kv: onOperation expects a function (event) => void");
    expect(() => setOperationContextProvider({} as never)).toThrow("edge-kv: setOperationContextProvider expects a function");
  });
});
