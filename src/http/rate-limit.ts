/**
 * Fixed-window counter per client (docs/operations.md#the-home-folder: `rate_limit_per_min` for anonymous enrollments and
 * failed authentications).
 *
 * Memory is bounded: at most `maxClients` windows are tracked. Windows are kept in the order they
 * started, so the ones that have ended are at the front and are dropped first, at O(1) each. A
 * window still running is never dropped to make room: when every slot holds a running window, a
 * client not yet tracked is refused (as if over its limit) until the oldest window ends. So nobody
 * can reset their own window by flooding the table with other addresses; the price is that, while
 * such a flood lasts, new addresses' *failures* get 429 instead of 401 (valid tokens are never
 * counted, so they are not affected).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Clock } from '../clock.js';

const WINDOW_MS = 60_000;
/** Addresses tracked at most (README "Bounds"). */
export const MAX_TRACKED_CLIENTS = 100_000;

interface Window {
  start: number;
  count: number;
}

export class RateLimiter {
  /** In order of `start` (a renewed window is moved to the end). */
  private readonly windows = new Map<string, Window>();

  constructor(
    private limitPerMin: number,
    private readonly clock: Clock,
    private readonly maxClients = MAX_TRACKED_CLIENTS,
  ) {}

  /** A config reload changed `rate_limit_per_min`: windows already running count against the new limit. */
  setLimit(limitPerMin: number): void {
    this.limitPerMin = limitPerMin;
  }

  /** Counts one event for `key`; false when that event is over the limit (or no room is left). */
  hit(key: string): boolean {
    const now = this.clock.mono();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      if (w) this.windows.delete(key);
      else if (!this.makeRoom(now)) return false;
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    return w.count <= this.limitPerMin;
  }

  /** Seconds until `key` may try again (for Retry-After). */
  retryAfterS(key: string): number {
    const w = this.windows.get(key) ?? this.windows.values().next().value;
    return w ? Math.max(1, Math.ceil((w.start + WINDOW_MS - this.clock.mono()) / 1000)) : 1;
  }

  /** Windows tracked now. */
  get size(): number {
    return this.windows.size;
  }

  /** Drops ended windows from the front; true when a new window fits. */
  private makeRoom(now: number): boolean {
    if (this.windows.size < this.maxClients) return true;
    for (const [k, w] of this.windows) {
      if (now - w.start < WINDOW_MS) break;
      this.windows.delete(k);
    }
    return this.windows.size < this.maxClients;
  }
}

/**
 * The key a client is counted under: an IPv4 address as is (also when written as `::ffff:a.b.c.d`),
 * an IPv6 address by its /64 prefix — one site or subscriber is usually given a whole /64, and
 * counting single addresses would let it rotate through 2^64 of them.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (isIPv4(address) || !isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

/** The eight hextets of an IPv6 address (zone id dropped), lower-case, without leading zeros. */
function expandIPv6(address: string): string[] {
  const plain = address.split('%')[0]!.toLowerCase();
  const [head, tail] = plain.includes('::') ? plain.split('::') : [plain, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  // An embedded IPv4 tail (a.b.c.d) is two hextets.
  const last = right.length ? right : left;
  const v4 = last.length && isIPv4(last[last.length - 1]!) ? last.pop()! : null;
  if (v4) {
    const [a, b, c, d] = v4.split('.').map(Number) as [number, number, number, number];
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const fill = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((h) => Number.parseInt(h, 16).toString(16));
}
