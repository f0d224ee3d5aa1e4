import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KVStore, EdgeKvError, Messages, KVErrorDetails, getRegistry, setRegistry, type KVRegistry } from "edge-kv";
import { createTestKv, type TestKv } from "edge-kv/testing";

let outside: KVRegistry;
let kv: TestKv;
beforeEach(async () => {
  outside = getRegistry();
  kv = await createTestKv({ stores: { s: { seed: { k: "v" } }, other: {} } }).reset();
});
afterEach(() => {
  setRegistry(outside);
  vi.useRealTimers();
});

/** The rejection of `promise`, or a marker when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => "resolved",
    (error: unknown) => error,
  );
}

function expectRuntimeError(error: unknown, message: string) {
  expect(error).toBeInstanceOf(TypeError);
  expect((error as Error).message).toBe(message);
}

describe("failNext: fault injection with the runtime's own errors", () => {
  it("makes the next put reject with TypeError 'KVStore insert: Too many requests.' and writes nothing", async () => {
    kv.failNext("s", { operation: "insert" });
    expectRuntimeError(await rejection(new KVStore("s").put("new", "x")), "KVStore insert: Too many requests.");
    expect(await kv.snapshot("s")).toEqual({ k: "v" });
  });

  it("fails only the next operation by default: the retry succeeds", async () => {
    kv.failNext("s", { operation: "put" });
    const store = new KVStore("s");
    await expect(store.put("new", "x")).rejects.toThrow("KVStore insert: Too many requests.");
    await expect(store.put("new", "x")).resolves.toBeUndefined();
    expect(await kv.snapshot("s")).toEqual({ k: "v", new: "x" });
  });

  it("fails exactly `times` matching operations", async () => {
    kv.failNext("s", { operation: "lookup", times: 2 });
    const store = new KVStore("s");
    expectRuntimeError(await rejection(store.get("k")), "KVStore lookup: Too many requests.");
    expectRuntimeError(await rejection(store.get("k")), "KVStore lookup: Too many requests.");
    expect(await (await store.get("k"))!.text()).toBe("v");
  });

  it("without an operation, fails the next operation of any kind", async () => {
    kv.failNext("s");
    expectRuntimeError(await rejection(new KVStore("s").list({})), "KVStore list: Too many requests.");
    expect(await new KVStore("s").list({})).toEqual({ list: ["k"], cursor: undefined });
  });

  it("with a key, fails only operations on that key", async () => {
    kv.failNext("s", { key: "k" });
    const store = new KVStore("s");
    await store.put("other", "1");
    await store.list({});
    expectRuntimeError(await rejection(store.delete("k")), "KVStore delete: Too many requests.");
  });

  it("affects only the named store", async () => {
    kv.failNext("other");
    await expect(new KVStore("s").get("k")).resolves.not.toBeNull();
    await expect(new KVStore("other").get("k")).rejects.toThrow("KVStore lookup: Too many requests.");
  });

  it.each(Object.entries(KVErrorDetails))("error %j rejects with the runtime's 'KVStore insert: %s'", async (code, detail) => {
    kv.failNext("s", { error: code as keyof typeof KVErrorDetails });
    expectRuntimeError(await rejection(new KVStore("s").put("k", "x")), Messages.kvError("insert", detail));
  });

  it("an Error passed as `error` is thrown as is", async () => {
    const boom = new RangeError("boom");
    kv.failNext("s", { error: boom });
    expect(await rejection(new KVStore("s").get("k"))).toBe(boom);
  });

  it("Infinity keeps failing until cancel()", async () => {
    const rule = kv.failNext("s", { operation: "get", times: Infinity });
    for (let i = 0; i < 3; i++) await expect(new KVStore("s").get("k")).rejects.toThrow("KVStore lookup: Too many requests.");
    expect(rule.remaining).toBe(Infinity);
    rule.cancel();
    expect(rule.remaining).toBe(0);
    await expect(new KVStore("s").get("k")).resolves.not.toBeNull();
  });

  it("reset() disarms every fault", async () => {
    kv.failNext("s", { times: 5 });
    await kv.reset();
    await expect(new KVStore("s").get("k")).resolves.not.toBeNull();
  });

  it("read-back helpers are not affected and do not consume faults", async () => {
    const rule = kv.failNext("s");
    expect(await kv.snapshot("s")).toEqual({ k: "v" });
    expect(await kv.entry("s", "k")).not.toBeNull();
    expect(rule.remaining).toBe(1);
  });

  it.each([
    [{ error: "nope" }, 'edge-kv: failNext(\'s\'): error must be an Error or one of "bad-request", "not-found", "precondition-failed", "payload-too-large", "internal-error", "too-many-requests", got "nope"'],
    [{ times: 0 }, "edge-kv: failNext('s'): times must be a positive integer or Infinity, got 0"],
    [{ times: 1.5 }, "edge-kv: failNext('s'): times must be a positive integer or Infinity, got 1.5"],
    [{ operation: "write" }, 'edge-kv: failNext(\'s\'): operation must be "lookup" (get), "insert" (put), "delete" or "list", got "write"'],
    [{ operation: "toString" }, 'edge-kv: failNext(\'s\'): operation must be "lookup" (get), "insert" (put), "delete" or "list", got "toString"'],
    [{ key: 5 }, "edge-kv: failNext('s'): key must be a string, got 5"],
  ])("refuses options %j with a clear EdgeKvError", (options, message) => {
    expect(() => kv.failNext("s", options as never)).toThrow(EdgeKvError);
    expect(() => kv.failNext("s", options as never)).toThrow(message);
  });
});

describe("delay: added latency", () => {
  it("holds a get for the given milliseconds of (fake) timer time, then resolves it", async () => {
    vi.useFakeTimers();
    kv.delay("s", 100, { operation: "get" });
    let settled = false;
    const pending = new KVStore("s").get("k").then((entry) => {
      settled = true;
      return entry;
    });
    await vi.advanceTimersByTimeAsync(99);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(settled).toBe(true);
    expect(await (await pending)!.text()).toBe("v");
  });

  it("applies to matching operations only", async () => {
    vi.useFakeTimers();
    kv.delay("s", 50, { operation: "insert" });
    let settled = false;
    void new KVStore("s").get("k").then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
  });

  it("combines with a fault: the operation waits, then rejects", async () => {
    vi.useFakeTimers();
    kv.delay("s", 20);
    kv.failNext("s");
    let outcome: unknown = "pending";
    void new KVStore("s").put("k", "x").catch((error: Error) => (outcome = error.message));
    await vi.advanceTimersByTimeAsync(19);
    expect(outcome).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    expect(outcome).toBe("KVStore insert: Too many requests.");
  });

  it("stops after `times` operations", async () => {
    vi.useFakeTimers();
    kv.delay("s", 1000, { times: 1 });
    void new KVStore("s").get("k");
    let settled = false;
    void new KVStore("s").get("k").then(() => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
  });

  it("refuses a negative delay", () => {
    expect(() => kv.delay("s", -1)).toThrow("edge-kv: delay('s'): the delay must be a finite number of milliseconds >= 0, got -1");
  });
});
