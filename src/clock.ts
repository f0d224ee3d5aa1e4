/** Where stores get the time from (milliseconds since the epoch). Inject a FakeClock to test TTLs. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/**
 * A clock that only moves when told to. `advance(ms)` / `advanceSeconds(s)` / `set(time)`.
 * TTL expiry is evaluated lazily against the clock, so advancing it makes entries expire at once.
 */
export class FakeClock implements Clock {
  #now: number;
  constructor(start: number | Date = Date.UTC(2025, 0, 1)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }
  now(): number {
    return this.#now;
  }
  advance(milliseconds: number): this {
    if (!Number.isFinite(milliseconds) || milliseconds < 0) {
      throw new RangeError(`edge-kv: FakeClock.advance takes a non-negative number of milliseconds, got ${String(milliseconds)}`);
    }
    this.#now += milliseconds;
    return this;
  }
  advanceSeconds(seconds: number): this {
    return this.advance(seconds * 1000);
  }
  set(time: number | Date): this {
    this.#now = typeof time === "number" ? time : time.getTime();
    return this;
  }
}
