/**
 * ExecQueueActor: one per node (actor id `<node id>/exec`), created on first use, in memory only.
 * A FIFO of execs kept in an {@link ExecBook} (one exec statechart snapshot each), plus at most one
 * parked long-poll of the node's agent ({@link ParkingSpot}). One clock timer per queue, armed for
 * the earliest deadline (expiry of a queued exec, timeout of a delivered one, end of a finished
 * result's TTL), turns time into `tick` messages: an idle queue costs no timer and no message.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { fail, ok, unwrap, type Result } from '../errors.js';
import { newExecId } from '../ids.js';
import { ask, type Waiter } from './ask.js';
import { ActorCell, type CellObserver } from './cell.js';
import { ExecBook, type AgentResult, type Entry, type ExecSettings } from './exec-book.js';
import { isFinished, statusOf, type ExecEvent, type Interpreter } from './exec-machine.js';
import { Parked, ParkingSpot } from './exec-parking.js';
import { toDelivery, toResult, type ExecDelivery, type ExecPendingView, type ExecQueueView, type ExecResultView } from './exec-view.js';

/** The messages an exec queue handles (one at a time, in its mailbox). */
export type ExecMsg =
  | { type: 'submit'; command: string; interpreter: Interpreter; timeoutS?: number }
  | { type: 'poll'; waitMs: number; signal?: AbortSignal }
  | { type: 'result'; report: AgentResult }
  | { type: 'get_result'; id: string }
  | { type: 'list' }
  | { type: 'cancel'; id: string }
  | { type: 'clear' }
  /** Internal: a parked poll's wait ran out or its connection closed. */
  | { type: 'unpark'; waiterId: number }
  /** Internal: a deadline fell due. */
  | { type: 'tick' }
  /** Shutdown: answer the parked poll now. */
  | { type: 'wake' }
  /** The node was deleted. */
  | { type: 'stop' };

/** Statechart steps done in one go before a bulk operation yields (~10 ms at ~50 µs a step). */
const BULK_CHUNK = 200;

/** What `get_result` answers: the finished result, or where the exec stands. */
export type ResultReply = { finished: true; result: ExecResultView } | { finished: false; pending: ExecPendingView };

/** The reply value of each message, for {@link askExec}. */
export interface ExecReplies {
  submit: { id: string };
  poll: ExecDelivery | null;
  result: { ok: true };
  get_result: ResultReply;
  list: ExecQueueView;
  cancel: ExecResultView;
  clear: { cancelled: number };
  unpark: null;
  tick: null;
  wake: null;
  stop: null;
}

/** What a queue needs from the server, injected by {@link ExecQueues}. */
export interface ExecQueueDeps {
  clock: Clock;
  observer: CellObserver;
  settings: ExecSettings;
  /** True once the server is stopping: polls are answered at once, never parked. */
  closing(): boolean;
}

/** One node's exec queue: FIFO, in memory, with its agent's parked long-poll. */
export class ExecQueueActor extends ActorCell<ExecMsg, Result<unknown>> {
  private readonly book: ExecBook;
  private readonly parking: ParkingSpot;
  private timer: { at: number; handle: TimerHandle } | null = null;

  constructor(readonly nodeId: string, private readonly deps: ExecQueueDeps) {
    super(`${nodeId}/exec`, 'exec-queue', deps.clock, deps.observer);
    this.book = new ExecBook(deps.settings, (at) => this.armFor(at));
    this.parking = new ParkingSpot(deps.clock, (waiterId) => this.send({ type: 'unpark', waiterId }));
  }

  /** Queued, not yet delivered (the heartbeat's `exec_pending`). */
  get pendingCount(): number {
    return this.book.queued.size;
  }

  /** Queued plus delivered-but-unanswered (`depth`, `exec_depth`). */
  get depth(): number {
    return this.book.depth;
  }

  /** True while the node's agent waits in a long-poll. */
  get hasParkedPoll(): boolean {
    return this.parking.occupied;
  }

  /** A parked poll resolves later: the caller's promise follows it, the mailbox does not wait. */
  override send(msg: ExecMsg): Promise<Result<unknown>> {
    const reply = super.send(msg);
    if (msg.type !== 'poll') return reply;
    return reply.then((r) => (r.ok && r.value instanceof Parked ? r.value.answer.then((d) => ok(d)) : r));
  }

  stateName(): string {
    if (this.parking.occupied) return 'parked';
    return this.depth > 0 ? 'active' : 'idle';
  }

  debugContext(): Record<string, unknown> {
    const now = this.clock.now();
    return {
      node_id: this.nodeId,
      ...this.book.debug(now),
      parked_poll: this.parking.debug(now),
      next_deadline_at: this.timer ? new Date(this.timer.at).toISOString() : null,
    };
  }

  protected handle(msg: ExecMsg): Result<unknown> | Promise<Result<unknown>> {
    const now = this.clock.now();
    switch (msg.type) {
      case 'submit':
        return this.submit(msg, now);
      case 'poll':
        return ok(this.poll(msg.waitMs, msg.signal, now));
      case 'result': {
        const e = this.book.find(msg.report.id);
        if (!e) return this.unknown(msg.report.id);
        // Repeated, late (after a cancel or a timeout) or premature: acknowledged and ignored.
        if (statusOf(e.snap) === 'delivered') this.book.report(e, msg.report, now);
        return ok({ ok: true });
      }
      case 'get_result':
        return this.getResult(msg.id);
      case 'list':
        return ok(this.book.view(now));
      case 'cancel': {
        const e = this.book.find(msg.id);
        if (!e) return this.unknown(msg.id);
        if (isFinished(e.snap)) return fail('already_finished', `exec ${msg.id} already finished (${statusOf(e.snap)})`);
        this.book.apply(e, { type: 'CANCEL', at: now });
        return ok(toResult(e.snap));
      }
      case 'clear': {
        const open = [...this.book.queued.values(), ...this.book.delivered.values()];
        return this.applyMany(open.map((e) => [e, { type: 'CANCEL', at: now }]), () => ok({ cancelled: open.length }));
      }
      case 'unpark':
        if (this.parking.currentId === msg.waiterId) this.parking.answer(null);
        return ok(null);
      case 'tick':
        return this.applyMany(this.book.due(now), () => {
          this.book.rearm();
          return ok(null);
        });
      case 'wake':
        this.parking.answer(null);
        return ok(null);
      case 'stop':
        this.parking.answer(null);
        this.timer?.handle.cancel();
        this.timer = null;
        this.stopCell();
        return ok(null);
    }
  }

  private submit(msg: Extract<ExecMsg, { type: 'submit' }>, now: number): Result<{ id: string }> {
    const max = this.deps.settings.maxQueue;
    if (this.depth >= max) {
      return fail('queue_full', `the exec queue of ${this.nodeId} is full (${this.depth} of max_queue ${max}); wait for results or clear it`);
    }
    const id = newExecId();
    const timeoutS = msg.timeoutS ?? this.deps.settings.defaultTimeoutS;
    this.book.add({ id, command: msg.command, interpreter: msg.interpreter, timeoutS, queuedAt: now });
    if (this.parking.occupied) {
      // A parked poll whose agent hung up is dropped; the exec stays queued for the next poll.
      this.parking.answer(this.parking.gone ? null : this.deliverNext(now));
    }
    return ok({ id });
  }

  private poll(waitMs: number, signal: AbortSignal | undefined, now: number): ExecDelivery | Parked | null {
    // A newer poll from the node replaces the parked one, which is answered with nothing.
    this.parking.answer(null);
    if (signal?.aborted) return null;
    if (this.book.queued.size > 0) return this.deliverNext(now);
    if (waitMs <= 0 || this.deps.closing()) return null;
    return this.parking.park(waitMs, signal);
  }

  private deliverNext(now: number): ExecDelivery {
    const head = this.book.queued.values().next().value!;
    this.book.apply(head, { type: 'DELIVER', at: now });
    return toDelivery(head.snap);
  }

  /**
   * Steps many execs (a clear, a sweep). One statechart step costs ~50 µs, so past one chunk this
   * yields the event loop between chunks, holding only this queue's mailbox meanwhile.
   */
  private applyMany(steps: Array<[Entry, ExecEvent]>, then: () => Result<unknown>): Result<unknown> | Promise<Result<unknown>> {
    if (steps.length <= BULK_CHUNK) {
      for (const [e, ev] of steps) this.book.apply(e, ev);
      return then();
    }
    return (async () => {
      for (let i = 0; i < steps.length; i += BULK_CHUNK) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        for (const [e, ev] of steps.slice(i, i + BULK_CHUNK)) this.book.apply(e, ev);
      }
      return then();
    })();
  }

  private getResult(id: string): Result<ResultReply> {
    const e = this.book.find(id);
    if (!e) return this.unknown(id);
    if (isFinished(e.snap)) return ok({ finished: true, result: toResult(e.snap) });
    const delivered = statusOf(e.snap) === 'delivered';
    const pending: ExecPendingView = delivered
      ? { status: 'pending', state: 'delivered', position: null }
      : { status: 'pending', state: 'queued', position: this.book.position(id) };
    return ok({ finished: false, pending });
  }

  private unknown(id: string): Result<never> {
    return fail('not_found', `no exec ${JSON.stringify(id.slice(0, 64))} on node ${this.nodeId}`);
  }

  /** Makes sure the timer fires by `at`. An earlier timer is kept: its tick re-arms for the rest. */
  private armFor(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    const handle = this.clock.after(Math.max(0, at - this.clock.now()), () => {
      this.timer = null;
      this.send({ type: 'tick' }).catch(() => {});
    });
    this.timer = { at, handle };
  }
}

/** ask() for an exec queue, typed by message: the reply value, or the AppError of its code. */
export async function askExec<T extends ExecMsg['type']>(
  queue: ExecQueueActor,
  msg: Extract<ExecMsg, { type: T }>,
  opts: { waiter?: Waiter; timeoutMs?: number } = {},
): Promise<ExecReplies[T]> {
  return unwrap(await ask(queue, msg, opts)) as ExecReplies[T];
}
