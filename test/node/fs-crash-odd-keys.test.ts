/**
 * The filesystem driver's kill -9 check with the adversarial keys (children/crash-pattern.ts ODD_KEYS):
 * a BOM, NUL, 1024-byte keys of 4- and 2-byte characters, non-characters, a line separator. After every
 * kill each key holds its old or new complete record (value and metadata of one write, metadata bytes
 * exact), the index lists exactly those keys in byte order, and no key is confused with another.
 */
import { afterAll, describe, expect, it } from "vitest";
import { FileSystemDriver } from "edge-kv/node";
import { ODD_KEYS, ODD_LOG, metadataFor, valueFor } from "./children/crash-pattern.js";
import { removeTempFolders, runChild, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
const byteOrder = (keys: string[]) => [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

describe("a writer killed at any moment, on adversarial keys", () => {
  it("(durable) leaves every key with its old or new complete record, metadata bytes exact, listed in byte order", async () => {
    const directory = tempFolder();
    let next = 0;
    for (const [round, delay] of [0, 7, 13].entries()) {
      const child = runChild("crash-writer.ts", [directory, "durable", String(next), "odd"]);
      await child.waitForLine((line) => line.startsWith("ack log"));
      await new Promise((resolve) => setTimeout(resolve, delay));
      child.process.kill("SIGKILL");
      expect((await child.exited).signal).toBe("SIGKILL");
      const acked = new Map<string, number>();
      for (const line of child.lines) {
        const [, which, n] = line.split(" ");
        acked.set(which!, Number(n));
      }
      const driver = new FileSystemDriver({ directory, durability: "durable", staleLockMs: 3_600_000, lockTimeoutMs: 15_000 });
      try {
        for (const [index, key] of ODD_KEYS.entries()) {
          const record = (await driver.read(key))!;
          const metadata = strict.decode(record.metadata!);
          const n = Number(metadata.slice(1, -2));
          expect(metadata, `round ${round}: key ${index}`).toBe(metadataFor(n, true));
          expect(sameBytes(record.value, valueFor(index, n)), `round ${round}: key ${index} holds the value of write ${n}`).toBe(true);
          expect(n).toBeGreaterThanOrEqual(acked.get(String(index)) ?? -1);
          expect(n).toBeLessThanOrEqual((acked.get(String(index)) ?? -1) + 1);
        }
        const log = strict.decode((await driver.read(ODD_LOG))!.value).split(";").filter(Boolean).map(Number);
        expect(log).toEqual(Array.from({ length: log.length }, (_, i) => i));
        expect(log.length - 1).toBeGreaterThanOrEqual(acked.get("log")!);
        expect((await driver.scan({ limit: 20 })).map((item) => item.key)).toEqual(byteOrder([...ODD_KEYS, ODD_LOG]));
        expect(await driver.read("alpha")).toBeNull(); // "\uFEFFalpha" stays apart from "alpha"
        next = log.length;
      } finally {
        await driver.close();
      }
    }
  });
});
