/**
 * Time source for everything that reasons about time (offline detection, enrollment expiry,
 * exec timeouts). The server uses {@link systemClock}; tests use {@link FakeClock} so that a
 * 90-second offline window passes in one call, without sleeping.
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock milliseconds since the Unix epoch: for timestamps shown to people and stored. */
  now(): number;
  /**
   * Monotonic milliseconds (arbitrary origin, never jumps): for every duration the server reasons
   * about — offline detection, expiry, timeouts, uptime, mailbox ages. Moving the wall clock (NTP,
   * an operator) never changes a node's state.
   */
  mono(): number;
  /** Runs `fn` every `ms` milliseconds until cancelled. */
  every(ms: number, fn: () => void): TimerHandle;
  /** Runs `fn` once after `ms` milliseconds unless cancelled. */
  after(ms: number, fn: () => void): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  mono: () => performance.now(),
  every(ms, fn) {
    const t = setInterval(fn, ms);
    t.unref();
    return { cancel: () => clearInterval(t) };
  },
  after(ms, fn) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface FakeTimer {
  due: number;
  every: number | null;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A manually advanced clock: `advance(ms)` moves both the wall and the monotonic time and fires
 * every timer that falls due, in time order; `jumpWall(ms)` moves only the wall clock (NTP, an
 * operator), as a real clock can.
 */
export class FakeClock implements Clock {
  private t: number;
  private wallOffset = 0;
  private timers: FakeTimer[] = [];

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t + this.wallOffset;
  }

  mono(): number {
    return this.t;
  }

  /** Moves the wall clock by `ms` (negative: back); monotonic time and timers are untouched. */
  jumpWall(ms: number): void {
    this.wallOffset += ms;
  }

  every(ms: number, fn: () => void): TimerHandle {
    return this.add({ due: this.t + ms, every: ms, fn, cancelled: false });
  }

  after(ms: number, fn: () => void): TimerHandle {
    return this.add({ due: this.t + ms, every: null, fn, cancelled: false });
  }

  /** Moves time forward by `ms`, running due timers at their own due time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers
        .filter((x) => !x.cancelled && x.due <= end)
        .sort((a, b) => a.due - b.due)[0];
      if (!next) break;
      this.t = next.due;
      if (next.every === null) next.cancelled = true;
      else next.due += next.every;
      next.fn();
    }
    this.timers = this.timers.filter((x) => !x.cancelled);
    this.t = end;
  }

  private add(timer: FakeTimer): TimerHandle {
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }
}

export const iso = (ms: number): string => new Date(ms).toISOString();

let isoMs = Number.NaN;
let isoText = '';
/**
 * iso() for the hot paths (every heartbeat reply's `server_time`, every log line's `time`): under
 * load many share a millisecond, so the last one's text is reused (toISOString costs ~1 µs).
 */
export function isoCached(ms: number): string {
  if (ms !== isoMs) [isoMs, isoText] = [ms, new Date(ms).toISOString()];
  return isoText;
}

/** The wall-clock time of a monotonic instant `m`, as the wall clock reads now. */
export const wallOf = (clock: Clock, m: number): number => m + (clock.now() - clock.mono());
