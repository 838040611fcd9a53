/**
 * docs/api.md#accountability "stalled" for one exec queue (the runbook's "node shows online but exec results stay
 * pending"): execs are queued, none is delivered (an agent busy with a long exec, one at a time,
 * is not stalled), and the oldest has waited `afterMs` since it was queued or since the agent last
 * came for work (a poll or a result), whichever is later. The queue actor tells it what happens and
 * arms a timer for the instant it returns; no clock and no timer here.
 */
import type { ExecBook } from './book.js';

export class StallWatch {
  private lastFetch = -Infinity;
  private stalled = false;

  constructor(
    private readonly afterMs: number,
    private readonly onChange: (stalled: boolean) => void,
  ) {}

  get value(): boolean {
    return this.stalled;
  }

  /** The agent came for work (a poll or a result) at `now` (monotonic). */
  fetched(now: number): void {
    this.lastFetch = now;
  }

  /** Re-checks after a change; returns when to check again (monotonic), or null. */
  check(book: ExecBook, now: number): number | null {
    const oldest = book.delivered.size === 0 ? book.queued.values().next().value : undefined;
    if (!oldest) {
      this.set(false);
      return null;
    }
    const due = Math.max(oldest.snap.context.queuedAt, this.lastFetch) + this.afterMs;
    this.set(due <= now);
    return due > now ? due : null;
  }

  /** The queue stopped: it is no longer stalled. */
  stop(): void {
    this.set(false);
  }

  private set(stalled: boolean): void {
    if (stalled === this.stalled) return;
    this.stalled = stalled;
    this.onChange(stalled);
  }
}
