import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { MemoryDriver, type KVDriver } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { useServer } from "./helpers.js";

const h = useServer();
const P = "/resources/stores/kv";
const WRITERS = 24;
const ROUNDS = 5;

/** A memory driver whose every call yields first, so concurrent requests interleave inside the core. */
function yieldingDriver(): KVDriver {
  const inner = new MemoryDriver();
  const later = <T>(run: () => T) => new Promise<T>((resolve) => setImmediate(() => resolve(run())));
  return {
    description: "yielding memory",
    read: (key) => later(() => inner.read(key)),
    write: (key, plan) => later(() => inner.write(key, plan)),
    delete: (key, plan) => later(() => inner.delete(key, plan)),
    scan: (range) => later(() => inner.scan(range)),
    clear: () => later(() => inner.clear()),
  };
}

const folder = mkdtempSync(join(tmpdir(), "edge-kv-race-"));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe.each([
  ["memory", () => new MemoryDriver()],
  ["an asynchronous driver", yieldingDriver],
  ["the filesystem driver", () => new FileSystemDriver({ directory: join(folder, "race"), durability: "relaxed" })],
])("parallel HTTP writers with if-generation-match on %s", (_name, makeDriver) => {
  test(`${WRITERS} writers per generation, ${ROUNDS} generations: exactly one 200 per generation, the rest 412`, async () => {
    h.registry.defineStore("race", { driver: makeDriver() });
    const id = ((await (await h.call(`${P}?name=race`)).json()) as { data: { id: string }[] }).data[0]!.id;
    await h.call(`${P}/${id}/keys/counter`, { method: "PUT", body: "start" });
    const seen = new Set<string>();
    for (let round = 0; round < ROUNDS; round++) {
      const generation = (await h.call(`${P}/${id}/keys/counter`)).headers.get("generation")!;
      expect(seen.has(generation)).toBe(false);
      seen.add(generation);
      const statuses = await Promise.all(
        Array.from({ length: WRITERS }, (_, writer) =>
          h.call(`${P}/${id}/keys/counter`, { method: "PUT", body: `round ${round} writer ${writer}`, headers: { "if-generation-match": generation } }).then(
            async (response) => [response.status, await response.text()] as const,
          ),
        ),
      );
      const winners = statuses.filter(([status]) => status === 200);
      expect(winners).toHaveLength(1);
      expect(statuses.filter(([status, body]) => status === 412 && body === "")).toHaveLength(WRITERS - 1);
      expect((await h.registry.store("race").inspect("counter"))!.text).toMatch(new RegExp(`^round ${round} writer \\d+$`));
    }
    await h.registry.reset(); // closes the driver (the filesystem one holds files open)
  });
});
