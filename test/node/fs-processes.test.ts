/**
 * Several processes on one store folder, and processes killed in the middle of writing.
 */
import { readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { KVRegistry } from "edge-kv";
import { FileSystemDriver } from "edge-kv/node";
import { writeRecord } from "../contract/plans.js";
import { KEYS, valueFor } from "./children/crash-pattern.js";
import { removeTempFolders, runChild, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);

describe("several processes on one folder", () => {
  it("4 processes doing conditional increments, appends, prepends and add races lose no update and get one winner per add", async () => {
    const directory = tempFolder();
    const goFile = join(directory, "..", `${directory.split("/").pop()}-go`);
    const iterations = 30;
    const ids = ["p0", "p1", "p2", "p3"];
    const children = ids.map((id) => runChild("contender.ts", [directory, id, String(iterations), goFile]));
    await Promise.all(children.map((child) => child.waitForLine((line) => line === "ready")));
    writeFileSync(goFile, "go");
    const exits = await Promise.all(children.map((child) => child.exited));
    for (const exit of exits) expect(exit).toEqual({ code: 0, signal: null, stderr: "" });
    const reports = children.map((child) => JSON.parse(child.lines[child.lines.length - 1]!) as { id: string; wins: string[]; conflicts: number });

    const registry = new KVRegistry();
    const admin = registry.defineStore("shared", { driver: new FileSystemDriver({ directory }) });
    expect((await admin.inspect("counter"))!.text).toBe(String(ids.length * iterations));
    // Every append and prepend is there exactly once, and each process's own ones in its order.
    const appended = (await admin.inspect("log"))!.text.split(",").filter(Boolean);
    const prepended = (await admin.inspect("prepended"))!.text.split(",").filter(Boolean).reverse();
    for (const items of [appended, prepended]) {
      expect(items).toHaveLength(ids.length * iterations);
      for (const id of ids) {
        expect(items.filter((item) => item.startsWith(`${id}:`))).toEqual(Array.from({ length: iterations }, (_, n) => `${id}:${n}`));
      }
    }
    // Each add race has exactly one winner, and the stored value names it.
    const winners = reports.flatMap((report) => report.wins.map((key) => [key, report.id] as const));
    const raced = [...new Set(winners.map(([key]) => key))].sort();
    expect(raced).toEqual(Array.from({ length: 10 }, (_, j) => `once-${j}`));
    expect(winners).toHaveLength(10);
    for (const [key, id] of winners) expect((await admin.inspect(key))!.text).toBe(id);
    await registry.reset();
  });
});

describe("a process writing without pause", () => {
  it("does not starve another writer: it steps aside while someone waits for the lock", async () => {
    const directory = tempFolder();
    await (await FileSystemDriver.open({ directory })).close();
    const busy = runChild("busy-writer.ts", [directory]);
    await busy.waitForLine((line) => line === "busy");
    const driver = new FileSystemDriver({ directory, durability: "relaxed" });
    for (let i = 0; i < 50; i++) expect(await writeRecord(driver, `mine-${i}`, { value: new Uint8Array([i]), metadata: null, generation: 1, expiresAt: null, lastModified: 0, contentType: null }, null)).toBe(true);
    await writeRecord(driver, "done", { value: new Uint8Array(0), metadata: null, generation: 1, expiresAt: null, lastModified: 0, contentType: null }, null);
    await driver.close();
    expect((await busy.exited).code).toBe(0);
    expect(busy.lines.at(-1)).toBe("stopped: done");
  });
});

describe("a writer killed at any moment", () => {
  for (const durability of ["durable", "relaxed"] as const) {
    it(`(${durability}) leaves every key with its old or new complete record, and the next process recovers the lock at once`, async () => {
      const directory = tempFolder();
      const delays = [0, 2, 5, 9, 17];
      let next = 0;
      for (const [round, delay] of delays.entries()) {
        const child = runChild("crash-writer.ts", [directory, durability, String(next)]);
        await child.waitForLine((line) => line.startsWith("ack log"));
        await new Promise((resolve) => setTimeout(resolve, delay));
        child.process.kill("SIGKILL");
        const exit = await child.exited;
        expect(exit.signal).toBe("SIGKILL");

        const acked = new Map<string, number>();
        for (const line of child.lines) {
          const [, key, n] = line.split(" ");
          acked.set(key!, Number(n));
        }
        // A huge staleness bound: only proof that the killed owner is dead can free its lock.
        const driver = new FileSystemDriver({ directory, durability, staleLockMs: 3_600_000, lockTimeoutMs: 15_000 });
        for (const [index, key] of KEYS.entries()) {
          const record = (await driver.read(key))!;
          const n = Number(text(record.metadata!));
          expect(sameBytes(record.value, valueFor(index, n)), `round ${round}: ${key} holds the value of write ${n}`).toBe(true);
          expect(n).toBeGreaterThanOrEqual(acked.get(key) ?? -1);
          expect(n).toBeLessThanOrEqual((acked.get(key) ?? -1) + 1);
        }
        const log = text((await driver.read("log"))!.value).split(";").filter(Boolean).map(Number);
        expect(log).toEqual(Array.from({ length: log.length }, (_, i) => i));
        expect(log.length - 1).toBeGreaterThanOrEqual(acked.get("log")!);
        expect(log.length - 1).toBeLessThanOrEqual(acked.get("log")! + 1);
        expect((await driver.scan({ limit: 10 })).map((item) => item.key)).toEqual(["alpha", "beta", "gamma", "log", ...(round > 0 ? ["probe"] : [])]);

        expect(await writeRecord(driver, "probe", { value: new Uint8Array([round]), metadata: null, generation: round + 1, expiresAt: null, lastModified: 1, contentType: null })).toBe(true);
        await driver.close();
        // What the killed writer left (its lock, staging files, an older segment) is gone once a writer came by.
        expect(readdirSync(directory).sort()).toEqual([expect.stringMatching(/^data-\d{16}\.log$/), "edge-kv-store.json"]);
        next = log.length;
      }
      expect(statSync(directory).isDirectory()).toBe(true);
    });
  }
});
