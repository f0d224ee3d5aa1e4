/** The operation observer (registry.onOperation): one event per core operation, whatever surface made it. */
import { describe, expect, test } from "vitest";
import { FakeClock, KVRegistry, KVStore, setOperationContextProvider, setRegistry, type OperationEvent } from "edge-kv";

function setUp() {
  const registry = new KVRegistry({ clock: new FakeClock(Date.UTC(2025, 0, 1)) });
  setRegistry(registry);
  registry.defineStore("s");
  const events: OperationEvent[] = [];
  const stop = registry.onOperation((event) => events.push(event));
  const shape = () => events.map(({ startedAt, durationMs, ...rest }) => (expect(startedAt).toBeGreaterThan(0), expect(durationMs).toBeGreaterThanOrEqual(0), rest));
  return { registry, events, stop, shape };
}

describe("registry.onOperation", () => {
  test("KVStore and admin operations each emit one event with outcome, generation and size", async () => {
    const { registry, shape, stop, events } = setUp();
    const store = new KVStore("s");
    await store.put("a", "hello");
    const generation = (await registry.store("s").inspect("a"))!.generation;
    await store.get("missing");
    await expect(store.put("a", "x", { mode: "add" })).rejects.toThrow();
    await store.list({ prefix: "a" });
    await store.delete("a");
    expect(shape()).toEqual([
      { store: "s", operation: "insert", key: "a", mode: "overwrite", outcome: "ok", generation, size: 5 },
      { store: "s", operation: "lookup", key: "a", outcome: "ok", generation, size: 5 },
      { store: "s", operation: "lookup", key: "missing", outcome: "not-found" },
      { store: "s", operation: "insert", key: "a", mode: "add", outcome: "precondition-failed", error: { name: "KVError", message: expect.any(String) } },
      { store: "s", operation: "list", prefix: "a", outcome: "ok" },
      { store: "s", operation: "delete", key: "a", outcome: "ok" },
    ]);
    stop();
    await store.put("b", "1");
    expect(events).toHaveLength(6);
    expect(registry.lookup("s")!.observer).toBeNull();
  });

  test("events carry the context provider's value; a throwing listener changes nothing", async () => {
    const { registry, shape } = setUp();
    registry.onOperation(() => {
      throw new Error("listener bug");
    });
    const previous = setOperationContextProvider(() => ({ requestId: 7 }));
    try {
      registry.defineStore("later"); // defined while listening: observed too
      await new KVStore("later").put("k", "v");
    } finally {
      setOperationContextProvider(previous);
    }
    expect(shape()).toEqual([{ store: "later", operation: "insert", key: "k", mode: "overwrite", outcome: "ok", generation: expect.any(Number), size: 1, context: { requestId: 7 } }]);
  });
});
