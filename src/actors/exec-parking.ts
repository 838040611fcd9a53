/**
 * The one parked long-poll of an exec queue (`GET /body/exec?wait=N`). Parking does not hold the
 * queue's mailbox: the `poll` message is answered at once with a {@link Parked} promise, and the
 * queue settles that promise later (an exec arrived, the wait ran out, the agent went away, a newer
 * poll replaced it). The wait and the disconnect come back to the queue as messages, so the queue
 * alone decides, inside its mailbox, whether an exec is delivered.
 */
import type { Clock, TimerHandle } from '../clock.js';
import type { ExecDelivery } from './exec-view.js';

/** The reply of a poll that has to wait: the HTTP side awaits `answer`. */
export class Parked {
  constructor(readonly answer: Promise<ExecDelivery | null>) {}
}

interface Waiting {
  id: number;
  since: number;
  waitMs: number;
  signal: AbortSignal | undefined;
  timer: TimerHandle;
  onGone: () => void;
  resolve(answer: ExecDelivery | null): void;
}

/** Holds at most one parked poll; a newer one replaces it. */
export class ParkingSpot {
  private waiting: Waiting | null = null;
  private seq = 0;

  /**
   * @param clock times the wait (the injected Clock: tests advance it).
   * @param release posts `unpark` for a waiter id back into the queue's mailbox.
   */
  constructor(
    private readonly clock: Clock,
    private readonly release: (waiterId: number) => Promise<unknown>,
  ) {}

  get occupied(): boolean {
    return this.waiting !== null;
  }

  /** True when the parked poll's connection is gone: never deliver to it. */
  get gone(): boolean {
    return this.waiting?.signal?.aborted ?? false;
  }

  get currentId(): number | null {
    return this.waiting?.id ?? null;
  }

  /** Parks a poll for `waitMs`; an older parked poll is answered with nothing first. */
  park(waitMs: number, signal: AbortSignal | undefined): Parked {
    this.answer(null);
    const id = ++this.seq;
    const answer = new Promise<ExecDelivery | null>((resolve) => {
      // If the queue is stopped the message is refused; the stop already answered this poll.
      const onGone = () => void this.release(id).catch(() => resolve(null));
      signal?.addEventListener('abort', onGone, { once: true });
      const timer = this.clock.after(waitMs, onGone);
      this.waiting = { id, since: this.clock.now(), waitMs, signal, timer, onGone, resolve };
    });
    return new Parked(answer);
  }

  /** Settles the parked poll (if any) with `delivery`, or with nothing (204). */
  answer(delivery: ExecDelivery | null): void {
    const w = this.waiting;
    if (!w) return;
    this.waiting = null;
    w.timer.cancel();
    w.signal?.removeEventListener('abort', w.onGone);
    w.resolve(delivery);
  }

  debug(now: number): { parked_for_ms: number; wait_ms: number } | null {
    const w = this.waiting;
    return w ? { parked_for_ms: now - w.since, wait_ms: w.waitMs } : null;
  }
}
