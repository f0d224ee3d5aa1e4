/**
 * A cross-process lock on a store folder, built from operations that are atomic on every local
 * POSIX file system (no native addon, no advisory-lock API in Node):
 *
 * - **Acquire**: make a private folder `.lock-<token>` holding one file `<token>` (JSON: pid, host,
 *   process start time), then `rename` it to `lock`. The rename fails when `lock` exists and is not
 *   empty, so exactly one process holds the lock.
 * - **Release**: `rename` `lock` back to `.lock-<token>` (kept for the next acquire: one system
 *   call each way).
 * - **Break a dead owner's lock**: unlink `lock/<owner token>` (only ever removes *that* owner's
 *   file: a newer lock has another token), then `rmdir lock` (fails if a newer owner already
 *   renamed its folder in). Neither step can remove a live lock, so two breakers cannot both win.
 *
 * When is an owner dead? Same host and `kill(pid, 0)` says ESRCH, or (Linux) the pid now belongs to
 * a process started at another time: broken at once. Otherwise (another host, or a pid that cannot
 * be told apart from a reused one) the lock is broken once the same owner has held it for `staleMs`
 * as seen by the waiter, and its file was not refreshed in that time (holders refresh it during long
 * operations such as compaction). A provably live owner is waited for, up to
 * `timeoutMs`, then the caller gets an error naming the owner.
 */
import { randomBytes } from "node:crypto";
import { existsSync, promises as fsp, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { EdgeKvError } from "../errors.js";

export interface LockOwner {
  pid: number;
  host: string;
  /** Start time of the owning process from /proc (Linux), to tell a reused pid apart; null elsewhere. */
  procStart: string | null;
  token: string;
  /** ms since the epoch when the lock was taken. */
  since: number;
}

export interface LockOptions {
  /** Break a lock whose owner cannot be proven alive after this many ms without refresh. */
  staleMs: number;
  /** Give up waiting after this many ms. */
  timeoutMs: number;
}

/** Why a lock was broken (tests and diagnostics). */
export type BreakReason = "owner-dead" | "pid-reused" | "stale";

const HOST = hostname();

function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 22 (starttime) counted after the parenthesised command name, which may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

const SELF_START = processStart(process.pid);

/** "dead" (provably), "alive" (provably), or "unknown" (another host, or no way to rule out pid reuse). */
export function ownerState(owner: LockOwner): "dead" | "pid-reused" | "alive" | "unknown" {
  if (owner.host !== HOST) return "unknown";
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return "dead";
    // EPERM: a process with that pid exists but belongs to someone else.
  }
  if (owner.procStart !== null) {
    const now = processStart(owner.pid);
    if (now === null) return "dead"; // procfs present when the lock was taken, and no such process now
    return now === owner.procStart ? "alive" : "pid-reused";
  }
  return "unknown";
}

export class FolderLock {
  readonly directory: string;
  readonly path: string;
  readonly options: LockOptions;
  readonly #token = `${process.pid}-${randomBytes(8).toString("hex")}`;
  readonly #staging: string;
  /** Folder where waiting processes leave a file, so a busy holder knows to step aside now and then. */
  readonly #waiters: string;
  #waiting = false;
  /** Whether our staging folder (with our owner file in it) exists, ready to be renamed to `lock`. */
  #staged = false;
  #held = false;
  /** The owner we saw holding the lock and since when (our clock), to measure how long it held it. */
  #seen: { token: string; since: number } | null = null;
  /** Set each time a stale lock is broken, for diagnostics. */
  lastBreak: { reason: BreakReason; owner: LockOwner } | null = null;

  constructor(directory: string, options: LockOptions) {
    this.directory = directory;
    this.path = join(directory, "lock");
    this.#staging = join(directory, `.lock-${this.#token}`);
    this.#waiters = join(directory, "waiters");
    this.options = options;
  }

  get held(): boolean {
    return this.#held;
  }

  async acquire(): Promise<void> {
    if (this.#held) throw new Error("edge-kv internal: lock acquired twice");
    // The staging folder is made once and moved back and forth: taking and releasing the lock is one rename each.
    // A parked folder that lost its owner file (our lock was broken as stale while we held it) is made afresh.
    if (this.#staged && !existsSync(join(this.#staging, this.#token))) this.#staged = false;
    if (!this.#staged) {
      await fsp.rm(this.#staging, { recursive: true, force: true });
      await fsp.mkdir(this.#staging);
      const owner: LockOwner = { pid: process.pid, host: HOST, procStart: SELF_START, token: this.#token, since: Date.now() };
      await fsp.writeFile(join(this.#staging, this.#token), JSON.stringify(owner));
      this.#staged = true;
    }
    const started = Date.now();
    let delay = 1;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          renameSync(this.#staging, this.path); // synchronous: microseconds, where an async call costs tens
          this.#held = true;
          this.#staged = false;
          this.#seen = null;
          return;
        } catch (error) {
          const code = (error as NodeJS.ErrnoException).code;
          if (code === "ENOENT") {
            // Our staging folder is gone (the store folder was destroyed or cleaned): make it again.
            this.#staged = false;
            return await this.acquire();
          }
          if (code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM" && code !== "EISDIR") throw error;
        }
        if (!this.#waiting) this.#announceWaiting();
        const current = await this.#readOwner();
        if (current !== null && (await this.#breakIfStale(current))) continue;
        const waited = Date.now() - started;
        if (waited > this.options.timeoutMs || attempt > 1_000_000) throw this.#timeoutError(current);
        await sleep(delay);
        delay = Math.min(delay * 2, MAX_POLL_MS);
      }
    } finally {
      if (this.#waiting) {
        this.#waiting = false;
        rmSync(join(this.#waiters, this.#token), { force: true });
        try {
          rmdirSync(this.#waiters); // only when no one else waits; keeps the store folder tidy
        } catch {
          // others still waiting
        }
      }
    }
  }

  #announceWaiting(): void {
    try {
      mkdirSync(this.#waiters, { recursive: true });
      writeFileSync(join(this.#waiters, this.#token), "");
      this.#waiting = true;
    } catch {
      // Only fairness depends on it: waiting works without.
    }
  }

  /**
   * Whether another process is waiting for the lock (a holder with a long run of writes then steps
   * aside). Waiting files older than twice the lock timeout were left by processes that died waiting.
   */
  othersWaiting(): boolean {
    let names: string[];
    try {
      names = readdirSync(this.#waiters);
    } catch {
      return false;
    }
    for (const name of names) {
      if (name === this.#token) continue;
      const path = join(this.#waiters, name);
      try {
        if (Date.now() - statSync(path).mtimeMs > 2 * this.options.timeoutMs) rmSync(path, { force: true });
        else return true;
      } catch {
        // gone meanwhile
      }
    }
    return false;
  }

  async release(): Promise<void> {
    if (!this.#held) return;
    this.#held = false;
    try {
      renameSync(this.path, this.#staging);
      this.#staged = true;
    } catch {
      // The lock folder is gone (store destroyed, or our lock was broken as stale): nothing to release.
    }
  }

  /** Drops the lock state without touching the disk (after the store folder, lock included, was removed). */
  forget(): void {
    this.#held = false;
    this.#staged = false;
  }

  /** Removes our staging folder (when the driver closes). */
  async dispose(): Promise<void> {
    await this.release();
    if (this.#staged) await fsp.rm(this.#staging, { recursive: true, force: true }).catch(() => undefined);
    this.#staged = false;
  }

  /** Marks the lock as freshly used, so a long operation is not mistaken for a stale one. */
  async refresh(): Promise<void> {
    if (!this.#held) return;
    const now = new Date();
    await fsp.utimes(join(this.path, this.#token), now, now).catch(() => undefined);
  }

  /** The current owner, or null when the lock is free or in the middle of changing hands. */
  async #readOwner(): Promise<(LockOwner & { age: number }) | null> {
    let names: string[];
    try {
      names = await fsp.readdir(this.path);
    } catch {
      return null;
    }
    const name = names[0];
    if (name === undefined) {
      // An empty lock folder: left by a break interrupted between its two steps. Anyone may remove
      // it; rmdir fails harmlessly if an owner renamed its folder in meanwhile.
      await fsp.rmdir(this.path).catch(() => undefined);
      return null;
    }
    if (this.#seen?.token !== name) this.#seen = { token: name, since: Date.now() };
    const heldFor = Date.now() - this.#seen.since;
    const file = join(this.path, name);
    try {
      const [text, stat] = await Promise.all([fsp.readFile(file, "utf8"), fsp.stat(file)]);
      const owner = JSON.parse(text) as LockOwner;
      if (typeof owner.pid !== "number" || owner.token !== name) throw new Error("bad owner file");
      // Held for as long as we have watched it, unless the owner refreshed the file more recently.
      return { ...owner, age: Math.min(heldFor, Date.now() - stat.mtimeMs) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      // An owner file that is not ours to read: an unknown owner, stale after staleMs like any other.
      return { pid: -1, host: "?", procStart: null, token: name, since: 0, age: heldFor };
    }
  }

  async #breakIfStale(owner: LockOwner & { age: number }): Promise<boolean> {
    const state = owner.pid === -1 ? "unknown" : ownerState(owner);
    let reason: BreakReason | null = null;
    if (state === "dead") reason = "owner-dead";
    else if (state === "pid-reused") reason = "pid-reused";
    else if (state === "unknown" && owner.age > this.options.staleMs) reason = "stale";
    if (reason === null) return false;
    try {
      await fsp.unlink(join(this.path, owner.token));
    } catch {
      return true; // someone else broke or released it first: just try again
    }
    await fsp.rmdir(this.path).catch(() => undefined);
    this.lastBreak = { reason, owner };
    return true;
  }

  #timeoutError(owner: (LockOwner & { age: number }) | null): EdgeKvError {
    const who = owner === null ? "another process" : `process ${owner.pid} on host '${owner.host}'`;
    return new EdgeKvError(
      `store folder '${this.directory}' stayed locked by ${who} for more than ${this.options.timeoutMs} ms (lockTimeoutMs). ` +
        `If that process is stuck, stop it; if it no longer exists, delete the folder '${this.path}'.`,
    );
  }
}

/** Longest pause between two attempts of a waiting process. */
const MAX_POLL_MS = 10;

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
