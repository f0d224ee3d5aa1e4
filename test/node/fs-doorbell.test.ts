/**
 * Waiting for a store folder's lock: a release rings the waiters' doorbells (src/node/fs-doorbell.ts),
 * so they take the lock at once instead of sleeping out their poll interval; polling stays the
 * fallback. The waiters below poll once an hour: only a ring can end their wait within the test's time.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DOORBELLS } from "../../src/node/fs-doorbell.js";
import { FolderLock } from "../../src/node/fs-lock.js";
import { removeTempFolders, runChild, tempFolder } from "./helpers.js";

afterAll(removeTempFolders);

const HOUR = 3_600_000;
const options = { staleMs: HOUR, timeoutMs: HOUR };
const slowPoller = () => ({ ...options, pollMs: { first: HOUR, longest: HOUR } });

/** Resolves once `count` processes or lock objects have a file in the folder's waiters/ (they are then waiting). */
async function waitersPresent(directory: string, count: number): Promise<void> {
  const folder = join(directory, "waiters");
  while (!existsSync(folder) || readdirSync(folder).length < count) await new Promise((resolve) => setImmediate(resolve));
}

// Abstract Unix sockets are Linux's (where CI runs); elsewhere waiters only poll, as the other lock tests show.
describe.runIf(DOORBELLS)("the lock's doorbell (Linux)", () => {
  it("a release rings the waiter, which takes the lock without waiting out its poll interval", async () => {
    const directory = tempFolder();
    const holder = new FolderLock(directory, options);
    const waiter = new FolderLock(directory, slowPoller());
    await holder.acquire();
    const acquired = waiter.acquire();
    await waitersPresent(directory, 1);
    expect(waiter.held).toBe(false);
    await holder.release();
    await acquired;
    expect(waiter.held).toBe(true);
    expect(waiter.wokenByRing).toBe(1);
    expect(readdirSync(join(directory, "waiters"))).toEqual([]); // the waiter removed its file
    await waiter.dispose();
    await holder.dispose();
    expect(readdirSync(directory).sort()).toEqual([]); // parked lock folders and waiters/ removed at close
  });

  it("rings a waiter in another process", async () => {
    const directory = tempFolder();
    const goFile = `${directory}-go`;
    const holder = runChild("lock-holder.ts", [directory, goFile]);
    await holder.waitForLine((line) => line === "held");
    const waiter = new FolderLock(directory, slowPoller());
    const acquired = waiter.acquire();
    await waitersPresent(directory, 1);
    writeFileSync(goFile, "go");
    await acquired;
    expect(waiter.wokenByRing).toBe(1);
    expect(holder.lines).toContain("released");
    await waiter.dispose();
    expect(await holder.exited).toEqual({ code: 0, signal: null, stderr: "" });
  });

  it("rings every waiter; those that lose the race wait again and are rung at the next release", async () => {
    const directory = tempFolder();
    const holder = new FolderLock(directory, options);
    const waiters = Array.from({ length: 3 }, () => new FolderLock(directory, slowPoller()));
    await holder.acquire();
    const order: number[] = [];
    const done = waiters.map(async (waiter, i) => {
      await waiter.acquire();
      order.push(i);
      await new Promise((resolve) => setImmediate(resolve));
      await waiter.release();
    });
    await waitersPresent(directory, 3);
    await holder.release();
    await Promise.all(done);
    expect(order.sort()).toEqual([0, 1, 2]);
    // Each got in after a ring: 1 for the first, 2 for the second, 3 for the last (rung at every release).
    expect(waiters.map((waiter) => waiter.wokenByRing).sort()).toEqual([1, 2, 3]);
    for (const lock of [holder, ...waiters]) await lock.dispose();
  });

  it("a waiter file whose process is gone (no socket) does not break the release, and live waiters are still rung", async () => {
    const directory = tempFolder();
    mkdirSync(join(directory, "waiters"));
    writeFileSync(join(directory, "waiters", "999999999-00deadbeef00dead"), ""); // left by a process that died waiting
    const holder = new FolderLock(directory, slowPoller());
    const waiter = new FolderLock(directory, slowPoller());
    await holder.acquire();
    const acquired = waiter.acquire();
    await waitersPresent(directory, 2);
    await holder.release();
    await acquired;
    expect(waiter.wokenByRing).toBe(1);
    // The other way round: the dead waiter's address is rung again (no connection was kept): still harmless.
    const again = holder.acquire();
    await waitersPresent(directory, 2);
    await waiter.release();
    await again;
    expect(holder.wokenByRing).toBe(1);
    await holder.dispose();
    await waiter.dispose();
  });
});
