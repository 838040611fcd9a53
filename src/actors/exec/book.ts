/**
 * The bookkeeping of one node's exec queue: which execs are queued (FIFO), delivered or finished,
 * each one an exec statechart snapshot stepped with xstate's pure transition(). No clock and no
 * timer here: callers pass `now`, and the book names the deadlines it needs (`arm`).
 */
import type { ExecResultBody } from '../../wire/index.js';
import type { Fail } from '../../errors.js';
import { applyExec, newExec, statusOf, type ExecEvent, type ExecInput, type ExecOutcome, type ExecSnapshot } from './machine.js';
import { capUtf8, toQueueItem, type ExecQueueView, type ToWall } from './view.js';

/** server.exec from config.yaml, plus offline_after_s (queued execs expire by it). */
export interface ExecSettings {
  maxQueue: number;
  defaultTimeoutS: number;
  resultTtlS: number;
  maxOutputBytes: number;
  offlineAfterS: number;
  /**
   * docs/api.md#accountability: a node whose oldest queued exec waits this long unfetched is `exec_stalled`
   * (max(60 s, 2 × heartbeat_interval_s), set by the server); default 60 s.
   */
  stalledAfterS?: number;
}

/** A delivered exec with no result this long after its timeout_s is timed_out (docs/api.md#exec). */
export const RESULT_GRACE_S = 10;
/** Finished results kept per queue at most, whatever their TTL: the oldest go first. */
export const MAX_FINISHED_PER_QUEUE = 1000;
export const MAX_FINISHED_OUTPUT_BYTES = 32 * 1024 * 1024;
/** Output of finished results kept by all queues together; past it each queue gives up its oldest. */
export const MAX_FLEET_RESULT_BYTES = 1024 * 1024 * 1024;
const MS_PER_S = 1000;

/** What the agent posts to `/body/exec/result` (validated by the HTTP layer). */
export type AgentResult = ExecResultBody;

/** The output bytes kept by every queue's finished results (one object, shared by all books). */
export class ResultBudget {
  bytes = 0;
  constructor(readonly max = MAX_FLEET_RESULT_BYTES) {}
  get over(): boolean {
    return this.bytes > this.max;
  }
}

/** One exec: its statechart snapshot (replaced at each step) and the bytes its output holds. */
export interface Entry {
  snap: ExecSnapshot;
  outputBytes: number;
}

const parseTime = (s: string | undefined): number | null => {
  const t = s === undefined ? NaN : Date.parse(s);
  return Number.isFinite(t) ? t : null;
};

/** The queued, delivered and finished execs of one node, and their deadlines. */
export class ExecBook {
  readonly queued = new Map<string, Entry>();
  readonly delivered = new Map<string, Entry>();
  /** In the order they finished, so the first one is the next to leave. */
  readonly finished = new Map<string, Entry>();
  private finishedBytes = 0;

  /**
   * @param arm asks for a `tick` no later than the given monotonic time (ms).
   * @param wall turns a monotonic instant into wall time, for what is shown.
   * @param budget the fleet-wide cap on kept output, shared with every other queue.
   */
  constructor(
    /** The settings now (a reload replaces the value whole). */
    private readonly settings: () => Readonly<ExecSettings>,
    private readonly arm: (at: number) => void,
    private readonly wall: ToWall,
    private readonly budget: ResultBudget,
    private readonly onFinish: (e: Entry) => void = () => {},
    /** An exec id leaves the book for good (its result's TTL, a trim, the queue stops). */
    private readonly onForget: (id: string) => void = () => {},
  ) {}

  get depth(): number {
    return this.queued.size + this.delivered.size;
  }

  add(input: ExecInput): Entry {
    const entry: Entry = { snap: newExec(input), outputBytes: 0 };
    this.queued.set(input.id, entry);
    this.arm(this.deadline(entry));
    return entry;
  }

  find(id: string): Entry | undefined {
    return this.queued.get(id) ?? this.delivered.get(id) ?? this.finished.get(id);
  }

  /** 0-based place among the queued. */
  position(id: string): number {
    let position = 0;
    for (const key of this.queued.keys()) {
      if (key === id) break;
      position++;
    }
    return position;
  }

  /**
   * One event for one exec on the kernel path: the machine's refusal, or its next state adopted
   * and the exec filed by the machine's effects (`delivered`, `finished`, `amended`).
   */
  apply(e: Entry, event: ExecEvent, amended: () => void = () => {}): Fail | null {
    return applyExec(e.snap, event, (next) => (e.snap = next), {
      delivered: () => this.file(e, this.delivered),
      finished: () => {
        e.outputBytes = e.snap.context.outcome?.bytes ?? 0;
        this.file(e, this.finished);
        this.keep(e.outputBytes);
        this.onFinish(e);
      },
      // The agent's kill report of a cancelled exec (docs/api.md#exec): its output so far is kept (once).
      amended: () => {
        e.outputBytes = e.snap.context.outcome?.bytes ?? 0;
        if (this.finished.has(e.snap.context.id)) this.keep(e.outputBytes);
        amended();
      },
    });
  }

  /** Moves the exec to `to` and asks for a tick by its new deadline. */
  private file(e: Entry, to: Map<string, Entry>): void {
    const id = e.snap.context.id;
    this.queued.delete(id);
    this.delivered.delete(id);
    to.set(id, e);
    this.arm(this.deadline(e));
  }

  /** Finished output now kept (in this queue and fleet-wide), trimmed to the bounds. */
  private keep(bytes: number): void {
    this.finishedBytes += bytes;
    this.budget.bytes += bytes;
    this.trimFinished();
  }

  /**
   * The agent's report, each stream cut to max_output_bytes (the agent cuts there itself and says
   * so; the server cuts again for older agents). The machine decides what it is: the result of a
   * delivered exec, the kill report of a cancelled one (`amended` runs), a late or repeated one
   * (nothing), or refused (never delivered).
   */
  report(e: Entry, r: AgentResult, now: number, amended?: () => void): Fail | null {
    const outcome = this.outcomeOf(r);
    return this.apply(e, { type: 'RESULT', at: now, outcome, timedOut: r.timed_out, killReport: r.cancelled === true }, amended);
  }

  private outcomeOf(r: AgentResult): ExecOutcome {
    const max = this.settings().maxOutputBytes;
    const out = capUtf8(r.stdout, max);
    const err = capUtf8(r.stderr, max);
    const outcome = {
      exitCode: r.exit_code,
      stdout: out.text,
      stderr: err.text,
      stdoutTruncated: out.truncated || r.stdout_truncated,
      stderrTruncated: err.truncated || r.stderr_truncated,
      startedAtMs: parseTime(r.started_at),
      agentFinishedAtMs: parseTime(r.finished_at),
      bytes: out.bytes + err.bytes,
    };
    return outcome;
  }

  /**
   * The steps that have fallen due by `now` (expiries of queued execs, timeouts of delivered ones),
   * for the caller to apply. Finished results past their TTL are dropped here and now.
   */
  due(now: number): Array<[Entry, ExecEvent]> {
    const steps: Array<[Entry, ExecEvent]> = [];
    for (const e of this.queued.values()) if (this.deadline(e) <= now) steps.push([e, { type: 'EXPIRE', at: now }]);
    for (const e of this.delivered.values()) if (this.deadline(e) <= now) steps.push([e, { type: 'TIMEOUT', at: now }]);
    // Finished in order and with one TTL: their deadlines only grow.
    for (const [id, e] of this.finished) {
      if (this.deadline(e) > now) break;
      this.drop(id, e);
    }
    return steps;
  }

  /** Asks for a tick at the earliest deadline left (after a tick consumed the timer). */
  rearm(): void {
    for (const e of this.queued.values()) this.arm(this.deadline(e));
    for (const e of this.delivered.values()) this.arm(this.deadline(e));
    const oldestFinished = this.finished.values().next().value;
    if (oldestFinished) this.arm(this.deadline(oldestFinished));
  }

  view(now: number): ExecQueueView {
    let oldest: number | null = null;
    for (const e of [...this.delivered.values(), ...this.queued.values()]) {
      oldest = Math.min(oldest ?? Infinity, e.snap.context.queuedAt);
    }
    return {
      depth: this.depth,
      oldest_age_s: oldest === null ? null : Math.floor((now - oldest) / MS_PER_S),
      delivered: [...this.delivered.values()].map((e) => toQueueItem(e.snap, now, this.wall)),
      queued: [...this.queued.values()].map((e) => toQueueItem(e.snap, now, this.wall)),
    };
  }

  debug(now: number): Record<string, unknown> {
    const { queued, delivered } = this.view(now);
    return { queued, delivered, finished: this.finished.size, finished_output_bytes: this.finishedBytes };
  }

  /** When the exec's current state runs out: expiry, timeout, or the end of its result's TTL. */
  private deadline(e: Entry): number {
    const c = e.snap.context;
    const s = this.settings();
    switch (statusOf(e.snap)) {
      case 'queued':
        return c.queuedAt + (c.timeoutS + s.offlineAfterS) * MS_PER_S;
      case 'delivered':
        return (c.deliveredAt ?? c.queuedAt) + (c.timeoutS + RESULT_GRACE_S) * MS_PER_S;
      default:
        return (c.finishedAt ?? c.queuedAt) + s.resultTtlS * MS_PER_S;
    }
  }

  private trimFinished(): void {
    for (const [id, e] of this.finished) {
      const over = this.finished.size > MAX_FINISHED_PER_QUEUE || this.finishedBytes > MAX_FINISHED_OUTPUT_BYTES || this.budget.over;
      if (!over || this.finished.size === 1) return;
      this.drop(id, e);
    }
  }

  private drop(id: string, e: Entry): void {
    this.finished.delete(id);
    this.finishedBytes -= e.outputBytes;
    this.budget.bytes -= e.outputBytes;
    this.onForget(id);
  }

  /** The queue stops (its node was deleted): its results leave the fleet-wide budget, its ids the index. */
  dispose(): void {
    this.budget.bytes -= this.finishedBytes;
    this.finishedBytes = 0;
    for (const map of [this.queued, this.delivered, this.finished]) {
      for (const id of map.keys()) this.onForget(id);
      map.clear();
    }
  }
}
