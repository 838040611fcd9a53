/**
 * Parking: the kernel's one way to "answer when something happens" — the agent's exec long-poll,
 * an admin's result wait, a shell check, a fleet batch's read. An actor parks a reply under a key
 * and returns its promise from the handler: the mailbox goes on (nothing is held), and the
 * actor answers the reply when the event comes (`answerOne`, `answerAll`), all from inside its
 * own handlers. A parked reply also ends by itself, with its fallback value, when its wait runs out
 * or its asker goes away (the abort signal of the HTTP request): a waiter that is gone is never
 * answered with something that would then be lost (e.g. an exec marked delivered).
 */
import type { Clock, TimerHandle } from '../../clock.js';

interface Waiter<T> {
  key: string;
  since: number;
  waitMs: number;
  timer: TimerHandle;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  resolve(value: T): void;
  fallback: T;
}

/** Parked replies of one actor, by key; each with a timeout and an optional abort signal. */
export class Parking<T> {
  private readonly byKey = new Map<string, Set<Waiter<T>>>();
  private total = 0;

  constructor(private readonly clock: Clock) {}

  /** Number of parked replies (all keys). */
  get size(): number {
    return this.total;
  }

  /** True when a live reply waits under `key`. */
  has(key: string): boolean {
    return (this.byKey.get(key)?.size ?? 0) > 0;
  }

  count(key: string): number {
    return this.byKey.get(key)?.size ?? 0;
  }

  /**
   * Parks a reply under `key` for at most `waitMs`; then, or when `signal` aborts, it is answered
   * with `fallback`. Returned from a handler, the promise leaves the mailbox free.
   */
  park(key: string, waitMs: number, fallback: T, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) return Promise.resolve(fallback);
    let resolve!: (v: T) => void;
    const reply = new Promise<T>((r) => (resolve = r));
    const w: Waiter<T> = {
      key,
      since: this.clock.mono(),
      waitMs,
      signal,
      fallback,
      resolve,
      onAbort: () => this.settle(w, w.fallback),
      timer: this.clock.after(waitMs, () => this.settle(w, w.fallback)),
    };
    signal?.addEventListener('abort', w.onAbort, { once: true });
    let set = this.byKey.get(key);
    if (!set) this.byKey.set(key, (set = new Set()));
    set.add(w);
    this.total++;
    return reply;
  }

  /**
   * Answers the oldest live reply under `key` with `produce()`, called only when there is one
   * (so what it takes — an exec to deliver — is never given to nobody). False when none waits.
   */
  answerOne(key: string, produce: () => T): boolean {
    const set = this.byKey.get(key);
    if (!set) return false;
    for (const w of set) {
      if (w.signal?.aborted) {
        this.settle(w, w.fallback);
        continue;
      }
      this.settle(w, produce());
      return true;
    }
    return false;
  }

  /** Answers every reply under `key` with `value` (or each with `value()`); returns how many. */
  answerAll(key: string, value: T | (() => T)): number {
    const set = this.byKey.get(key);
    if (!set) return 0;
    let n = 0;
    for (const w of [...set]) {
      this.settle(w, typeof value === 'function' ? (value as () => T)() : value);
      n++;
    }
    return n;
  }

  /** Answers every parked reply with its fallback (shutdown, the actor stops). */
  releaseAll(): number {
    let n = 0;
    for (const set of [...this.byKey.values()]) for (const w of [...set]) (this.settle(w, w.fallback), n++);
    return n;
  }

  /** For debug snapshots: what waits, since when. */
  debug(now = this.clock.mono()): Array<{ key: string; parked_for_ms: number; wait_ms: number }> {
    const out: Array<{ key: string; parked_for_ms: number; wait_ms: number }> = [];
    for (const set of this.byKey.values()) for (const w of set) out.push({ key: w.key, parked_for_ms: Math.round(now - w.since), wait_ms: w.waitMs });
    return out;
  }

  private settle(w: Waiter<T>, value: T): void {
    const set = this.byKey.get(w.key);
    if (!set?.delete(w)) return; // already answered
    if (set.size === 0) this.byKey.delete(w.key);
    this.total--;
    w.timer.cancel();
    w.signal?.removeEventListener('abort', w.onAbort);
    w.resolve(value);
  }
}
