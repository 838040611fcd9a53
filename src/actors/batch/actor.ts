/**
 * BatchActor: one fleet exec (docs/api.md#fleet-exec), actor id `batch-<ULID>`, kind `batch`, in memory only.
 * It submits one exec per selected node through that node's own exec queue actor (so max_queue,
 * timeouts, expiry, cancel and the single-exec result API hold for every member), then learns of
 * each member's end from the exec queues' notification port (routed by {@link Batches}) — no
 * polling, nothing parked per member. Admins' reads park on the kernel's {@link Parking}: key
 * `done:<offset>` (until every member finished) or `since:<k>` (until a member finishes after the
 * k-th). Every answer is one page: at most BATCH_PAGE_OUTPUT_CHARS characters of output.
 */
import type { Clock } from '../../clock.js';
import { iso, wallOf } from '../../clock.js';
import { ok, type Result } from '../../errors.js';
import { BATCH_PAGE_OUTPUT_CHARS, type BatchSkip, type BatchView, type ExecResultView, type Interpreter } from '../../wire/index.js';
import { asker } from '../kernel/ask.js';
import type { CellObserver } from '../kernel/cell.js';
import { Commit, type Reply } from '../kernel/commit.js';
import { MachineActor } from '../kernel/machine-actor.js';
import type { Snapshot } from '../kernel/machine.js';
import { Parking } from '../kernel/parking.js';
import { askExec, type ExecQueueActor } from '../exec/queue-actor.js';
import { INITIAL_BATCH, batchMachine, openCount, type BatchContext, type BatchState } from './machine.js';
import type { Selected } from './select.js';
import { goneResult, pageOf, skipOf, toMember, type Member } from './view.js';
import { forEachSliced } from './slices.js';

export interface BatchSpec {
  command: string;
  interpreter?: Interpreter;
  timeoutS?: number;
}

export type BatchMsg =
  /** Submit one exec per selected node (once, right after creation). */
  | { type: 'start'; nodes: Selected[]; skipped: BatchSkip[] }
  | { type: 'member_done'; execId: string; result: ExecResultView }
  /** The node was deleted: its open member will never report. */
  | { type: 'node_gone'; nodeId: string }
  | { type: 'get'; waitMs: number; since?: number; offset?: number; signal?: AbortSignal }
  | { type: 'wake' }
  | { type: 'stop' };

export interface BatchReplies {
  start: { execs: Array<{ node_id: string; name: string; id: string }>; skipped: BatchSkip[] };
  member_done: null;
  node_gone: null;
  /** null: the wait ran out first; ask again without one. */
  get: BatchView | null;
  wake: null;
  stop: null;
}

/** What a batch needs from the server, injected by {@link Batches}. */
export interface BatchDeps {
  clock: Clock;
  observer: CellObserver;
  queue(nodeId: string): ExecQueueActor;
  /** A member's exec exists: route its end here. */
  track(execId: string, batch: BatchActor): void;
  untrack(execId: string): void;
  /** Every member finished (the TTL starts). */
  finished(batch: BatchActor): void;
  closing(): boolean;
}

/** Which page a read asked for: finished after the `since`-th, or in node order from `offset`. */
export interface PageAsk {
  since?: number;
  offset?: number;
}

const keyOf = (p: PageAsk) => (p.since === undefined ? `done:${p.offset ?? 0}` : `since:${p.since}`);

export class BatchActor extends MachineActor<BatchMsg, typeof batchMachine> {
  protected readonly machine = batchMachine;
  protected readonly ports = {
    /** A member finished: the reads following the batch hear of it. */
    progress: () => this.wakeFollowers(),
    /** Every member finished: the waits are answered, the result TTL starts. */
    finished: () => {
      this.wakeFollowers();
      this.deps.finished(this);
    },
  };
  private value: BatchState = INITIAL_BATCH.value;
  private ctx: BatchContext = INITIAL_BATCH.context;
  private readonly members: Member[] = [];
  private readonly byExec = new Map<string, number>();
  /** Member indexes in the order they finished. */
  private readonly order: number[] = [];
  private skipped: BatchSkip[] = [];
  private readonly parking: Parking<BatchView | null>;
  /** The parked reads' keys and the page each asked for. */
  private readonly waiting = new Map<string, PageAsk>();
  readonly createdAt: number;
  /** Characters of output this batch holds (for the supervisor's bound). */
  outputChars = 0;

  constructor(id: string, readonly spec: BatchSpec, private readonly deps: BatchDeps) {
    super(id, 'batch', deps.clock, deps.observer);
    this.parking = new Parking(deps.clock);
    this.createdAt = deps.clock.mono();
  }

  get isFinished(): boolean {
    return this.value === 'finished';
  }

  stateName(): string {
    return this.value;
  }

  debugContext(): Record<string, unknown> {
    return { command: this.spec.command.slice(0, 256), state: this.value, ...this.ctx, open: openCount(this.ctx), skipped: this.skipped.length, parked: this.parking.debug() };
  }

  protected current(): Snapshot<BatchContext> {
    return { value: this.value, context: this.ctx };
  }

  protected adopt(s: Snapshot<BatchContext>): void {
    this.value = s.value as BatchState;
    this.ctx = s.context;
  }

  protected handle(msg: BatchMsg): Reply | Promise<Reply> {
    switch (msg.type) {
      case 'start': {
        const accepted = this.run({ type: 'START' }, () => null);
        if (accepted instanceof Commit || !accepted.ok) return accepted;
        // Submitted in slices: the mailbox holds, so member ends queue up behind.
        return this.hold(this.start(msg.nodes, msg.skipped));
      }
      case 'member_done': {
        const i = this.byExec.get(msg.execId);
        if (i === undefined || this.members[i]!.result) return ok(null);
        return this.finishMember(i, msg.result);
      }
      case 'node_gone': {
        const at = this.clock.mono();
        this.members.forEach((m, i) => {
          if (m.nodeId === msg.nodeId && !m.result) this.finishMember(i, goneResult(m.execId, iso(wallOf(this.clock, at))));
        });
        return ok(null);
      }
      case 'get':
        return this.get(msg.waitMs, { since: msg.since, offset: msg.offset }, msg.signal);
      case 'wake':
        this.parking.releaseAll();
        return ok(null);
      case 'stop':
        this.parking.releaseAll();
        for (const m of this.members) if (!m.result) this.deps.untrack(m.execId);
        this.stopCell();
        return ok(null);
    }
  }

  /** Submits in event-loop slices (the caller holds the mailbox meanwhile). */
  private async start(nodes: Selected[], skipped: BatchSkip[]): Promise<Result<BatchReplies['start']>> {
    this.skipped = skipped;
    const later: Array<Promise<void>> = [];
    const { command, interpreter, timeoutS } = this.spec;
    await forEachSliced(nodes, (n) => {
      const add = (r: { id: string }) => this.addMember(n, r.id);
      const skip = (e: unknown): void => void this.skipped.push(skipOf(n, e));
      try {
        const r = askExec(this.deps.queue(n.nodeId), { type: 'submit', command, interpreter, os: n.os, timeoutS });
        if (r instanceof Promise) later.push(r.then(add, skip));
        else add(r);
      } catch (e) {
        skip(e);
      }
    });
    await Promise.all(later);
    this.run({ type: 'SUBMITTED', total: this.members.length, at: this.clock.mono() }, () => null);
    return ok({ execs: this.members.map((m) => ({ node_id: m.nodeId, name: m.name, id: m.execId })), skipped: this.skipped });
  }

  private addMember(n: Selected, execId: string): void {
    this.byExec.set(execId, this.members.length);
    this.members.push({ nodeId: n.nodeId, name: n.name, execId, result: null });
    this.deps.track(execId, this);
  }

  private finishMember(i: number, result: ExecResultView): Reply {
    const m = this.members[i]!;
    m.result = result;
    this.outputChars += result.stdout.length + result.stderr.length;
    this.order.push(i);
    this.deps.untrack(m.execId);
    return this.run({ type: 'MEMBER_DONE', status: result.status, exitCode: result.exit_code, at: this.clock.mono() }, () => null);
  }

  /** True when a read of `p` has something to say: the end, or (with `since`) a member past it. */
  private hasNews(p: PageAsk): boolean {
    return this.value === 'finished' || (p.since !== undefined && this.order.length > p.since);
  }

  /** Answers the parked reads that now have news (a member past their cursor, or the end). */
  private wakeFollowers(): void {
    for (const [key, p] of this.waiting) {
      if (!this.hasNews(p)) continue;
      let v: BatchView | undefined;
      this.parking.answerAll(key, () => (v ??= this.view(p)));
      this.waiting.delete(key);
    }
  }

  private get(waitMs: number, p: PageAsk, signal: AbortSignal | undefined): Result<BatchView | null> | Promise<Result<unknown>> {
    if (this.hasNews(p) || waitMs <= 0 || this.deps.closing() || this.value === 'submitting') return ok(this.view(p));
    const key = keyOf(p);
    this.waiting.set(key, p);
    return this.parking.park(key, waitMs, null, signal).then((v) => ok(v));
  }

  /**
   * One page of the batch object: without `since`, the members in node order from `offset`; with
   * it, the members that finished after the since-th, in the order they finished. Either way at
   * most BATCH_PAGE_OUTPUT_CHARS of output (at least one member), `more` when the page stops short.
   */
  view(p: PageAsk = {}): BatchView {
    const c = this.ctx;
    let page: { members: Member[]; more: boolean };
    let cursor = this.order.length;
    let nextOffset: number | null = null;
    if (p.since === undefined) {
      const from = Math.min(p.offset ?? 0, this.members.length);
      page = pageOf(from, this.members.length, (i) => this.members[i]!, BATCH_PAGE_OUTPUT_CHARS);
      if (page.more) nextOffset = from + page.members.length;
    } else {
      const from = Math.min(p.since, this.order.length);
      page = pageOf(from, this.order.length, (i) => this.members[this.order[i]!]!, BATCH_PAGE_OUTPUT_CHARS);
      cursor = from + page.members.length;
    }
    return {
      batch_id: this.id,
      command: this.spec.command,
      state: this.value === 'finished' ? 'finished' : 'running',
      created_at: iso(wallOf(this.clock, this.createdAt)),
      finished_at: c.finishedAt === null ? null : iso(wallOf(this.clock, c.finishedAt)),
      total: this.members.length,
      finished: this.order.length,
      cursor,
      counts: { ok: c.ok, failed: c.failed, timed_out: c.timed_out, cancelled: c.cancelled, expired: c.expired, pending: openCount(c) },
      results: page.members.map(toMember),
      skipped: this.skipped,
      more: page.more,
      next_offset: nextOffset,
    };
  }
}

export const askBatch = asker<BatchMsg, BatchReplies>();
