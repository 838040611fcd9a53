/**
 * Fixed-window counter per client address (SPEC: `rate_limit_per_min` for anonymous enrollments
 * and failed authentications). Bounded: at most `maxClients` addresses are tracked; when full,
 * windows that have ended are dropped first, then the oldest entries.
 */
import type { Clock } from '../clock.js';

const WINDOW_MS = 60_000;

export class RateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    private readonly limitPerMin: number,
    private readonly clock: Clock,
    private readonly maxClients = 100_000,
  ) {}

  /** True while `key` has used up its window. */
  exhausted(key: string): boolean {
    const w = this.windows.get(key);
    return !!w && this.clock.now() - w.start < WINDOW_MS && w.count >= this.limitPerMin;
  }

  /** Counts one event for `key`; false when that event is over the limit. */
  hit(key: string): boolean {
    const now = this.clock.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      if (!w) this.makeRoom(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= this.limitPerMin;
  }

  /** Seconds until `key`'s window ends (for Retry-After). */
  retryAfterS(key: string): number {
    const w = this.windows.get(key);
    return w ? Math.max(1, Math.ceil((w.start + WINDOW_MS - this.clock.now()) / 1000)) : 1;
  }

  private makeRoom(now: number): void {
    if (this.windows.size < this.maxClients) return;
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
    while (this.windows.size >= this.maxClients) {
      const oldest = this.windows.keys().next().value;
      if (oldest === undefined) break;
      this.windows.delete(oldest);
    }
  }
}
