/**
 * ExecQueueActor: one per node (actor id `<node id>/exec`), on the kernel, created on first use,
 * in memory only. A FIFO of execs kept in an {@link ExecBook} (each exec's statechart state and
 * context), plus the replies parked on it with the kernel's {@link Parking}: the agent's exec
 * long-poll (key `poll`) and admins' result waits (key `result:<exec id>`). One clock timer per
 * queue, armed for the earliest deadline (expiry of a queued exec, timeout of a delivered one, end
 * of a finished result's TTL), turns time into `tick` messages: an idle queue costs no timer.
 * All deadlines are on the monotonic clock.
 */
import { wallOf, type TimerHandle } from '../../clock.js';
import { fail, ok, type Result } from '../../errors.js';
import { newExecId } from '../../ids.js';
import { asker, tell } from '../kernel/ask.js';
import { ActorCell } from '../kernel/cell.js';
import { Parking } from '../kernel/parking.js';
import { StallWatch } from './stall.js';
import { ExecBook, type Entry } from './book.js';
import { defaultInterpreter, isFinished, statusOf, type ExecEvent } from './machine.js';
import { toDelivery, toResult, type ExecDelivery, type ExecPendingView } from './view.js';
import { isSettled, notDelivered, settleWaitMs, toExecView, type NodeFacts } from './control.js';
import type { CancelWatchReply, ExecCancelReply, ExecView } from '../../wire/index.js';
import { MIN_STALLED_AFTER_S, type ExecMsg, type ExecQueueDeps, type ExecReplies, type ResultReply } from './messages.js';

/** Statechart steps done in one go before a bulk operation yields (~10 ms at ~50 µs a step). */
const BULK_CHUNK = 200;
const POLL = 'poll';
const resultKey = (id: string) => `result:${id}`;
/** The agent's cancel channel for one exec, and admins' waits on `GET /execs/{id}` (docs/api.md#exec). */
const cancelKey = (id: string) => `cancel:${id}`;
const execKey = (id: string) => `exec:${id}`;

export { MIN_STALLED_AFTER_S, type ExecMsg, type ExecQueueDeps, type ExecReplies, type ResultReply } from './messages.js';

type Parked = ExecDelivery | ResultReply | CancelWatchReply | ExecView | null;

/** One node's exec queue: FIFO, in memory, with the replies parked on it. */
export class ExecQueueActor extends ActorCell<ExecMsg, Result<unknown>> {
  private readonly book: ExecBook;
  private readonly parking: Parking<Parked>;
  private timer: { at: number; handle: TimerHandle } | null = null;
  private readonly wall = (m: number) => wallOf(this.clock, m);
  private readonly stall: StallWatch;
  /** Monotonic: the agent last came for work (a poll began or ended, a result); null: not yet. */
  private fetchedAt: number | null = null;

  constructor(readonly nodeId: string, private readonly deps: ExecQueueDeps) {
    super(`${nodeId}/exec`, 'exec-queue', deps.clock, deps.observer);
    const forget = (id: string) => deps.indexed?.(id, null);
    this.book = new ExecBook(deps.settings, (at) => this.armFor(at), this.wall, deps.budget, (e) => this.finished(e), forget);
    this.parking = new Parking<Parked>(deps.clock);
    this.stall = new StallWatch((deps.settings().stalledAfterS ?? MIN_STALLED_AFTER_S) * 1000, (s) => deps.onStalled?.(nodeId, s));
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
    return this.parking.has(POLL);
  }

  /** True while any reply is parked here (a poll, a result wait). */
  get hasParked(): boolean {
    return this.parking.size > 0;
  }

  /** docs/api.md#accountability (see {@link StallWatch}): kept up to date after each message and by the queue's timer; free to read. */
  get stalled(): boolean {
    return this.stall.value;
  }

  stateName(): string {
    if (this.parking.has(POLL)) return 'parked';
    return this.depth > 0 ? 'active' : 'idle';
  }

  debugContext(): Record<string, unknown> {
    const now = this.clock.mono();
    return {
      node_id: this.nodeId,
      stalled: this.stall.value,
      ...this.book.debug(now),
      parked: this.parking.debug(now),
      next_deadline_at: this.timer ? new Date(this.wall(this.timer.at)).toISOString() : null,
    };
  }

  protected handle(msg: ExecMsg): Result<unknown> | Promise<Result<unknown>> {
    const now = this.clock.mono();
    if (msg.type === 'poll' || msg.type === 'result') {
      this.stall.fetched(now);
      this.fetchedAt = now;
    }
    const reply = this.dispatch(msg, now);
    if (msg.type === 'stop') this.stall.stop();
    else {
      this.checkStalled();
      // A bulk step held in slices, or a parked reply: checked again once it has settled.
      if (reply instanceof Promise) void reply.then(() => this.stopped || this.checkStalled(), () => {});
    }
    return reply;
  }

  private checkStalled(): void {
    const due = this.stall.check(this.book, this.clock.mono());
    if (due !== null) this.armFor(due);
  }

  private dispatch(msg: ExecMsg, now: number): Result<unknown> | Promise<Result<unknown>> {
    switch (msg.type) {
      case 'submit':
        return this.submit(msg, now);
      case 'poll':
        return this.poll(msg.waitMs, msg.signal, now);
      case 'result': {
        const e = this.book.find(msg.report.id);
        if (!e) return this.unknown(msg.report.id);
        // The machine decides: refused if never delivered; repeated or late (after a cancel or a
        // timeout): acknowledged and ignored, except the agent's kill report of a cancelled exec,
        // kept with its output so far (docs/api.md#exec), which answers the waits on the exec.
        const amended = () => void this.parking.answerAll(execKey(msg.report.id), () => this.execView(e, now));
        return this.book.report(e, msg.report, now, amended) ?? ok({ ok: true });
      }
      case 'get_result':
        return this.getResult(msg.id, msg.waitMs ?? 0, msg.signal);
      case 'list':
        return ok(this.book.view(now));
      case 'cancel':
        return this.cancel(msg.id, msg.node, now);
      case 'clear': {
        const open = [...this.book.queued.values(), ...this.book.delivered.values()];
        const delivered = this.book.delivered.size;
        const cancel = (e: Entry): ExecEvent => ({ type: 'CANCEL', at: now, listening: this.parking.has(cancelKey(e.snap.context.id)) });
        return this.applyMany(open.map((e) => [e, cancel(e)]), () => ok({ cancelled: open.length, delivered }));
      }
      case 'watch_cancel':
        return this.watchCancel(msg.id, msg.waitMs, msg.signal);
      case 'get_exec':
        return this.getExec(msg.id, msg.waitMs ?? 0, msg.signal, now);
      case 'tick':
        return this.applyMany(this.book.due(now), () => {
          this.book.rearm();
          return ok(null);
        });
      case 'wake':
        this.parking.releaseAll();
        return ok(null);
      case 'stop':
        this.parking.releaseAll();
        this.timer?.handle.cancel();
        this.timer = null;
        this.book.dispose();
        this.stopCell();
        return ok(null);
    }
  }

  private submit(msg: Extract<ExecMsg, { type: 'submit' }>, now: number): Result<{ id: string }> {
    const max = this.deps.settings().maxQueue;
    if (this.depth >= max) {
      return fail('queue_full', `the exec queue of ${this.nodeId} is full (${this.depth} of max_queue ${max}); wait for results or clear it`);
    }
    const id = newExecId();
    const timeoutS = msg.timeoutS ?? this.deps.settings().defaultTimeoutS;
    this.book.add({ id, command: msg.command, interpreter: msg.interpreter ?? defaultInterpreter(msg.os), timeoutS, queuedAt: now });
    this.deps.indexed?.(id, this.nodeId);
    // A parked poll whose agent hung up is skipped; the exec then stays queued for the next poll.
    this.parking.answerOne(POLL, () => this.deliverNext(this.clock.mono()));
    return ok({ id });
  }

  private poll(waitMs: number, signal: AbortSignal | undefined, now: number): Result<ExecDelivery | null> | Promise<Result<unknown>> {
    // A newer poll from the node replaces the parked one, which is answered with nothing.
    this.parking.answerAll(POLL, null);
    if (signal?.aborted) return ok(null);
    if (this.book.queued.size > 0) return ok(this.deliverNext(now));
    if (waitMs <= 0 || this.deps.closing()) return ok(null);
    const parked = this.parking.park(POLL, waitMs, null, signal);
    // The agent fetched for as long as it waited here (a poll cut by its death ends now).
    void parked.then(() => void (this.fetchedAt = this.clock.mono()));
    return okParked(parked);
  }

  /**
   * Cancels one exec. A queued one says why it never reached the node; a delivered one says
   * whether its agent held the cancel channel (then it was told at once, by finished()).
   */
  private cancel(id: string, node: NodeFacts | undefined, now: number): Result<ExecCancelReply> {
    const e = this.book.find(id);
    if (!e) return this.unknown(id);
    const was = statusOf(e.snap);
    const listening = this.parking.has(cancelKey(id));
    const why = was === 'queued' ? { not_delivered: notDelivered(this.book, node, this.fetchedAt, this.wall) } : { agent_listening: listening };
    // The machine refuses a cancel of a finished exec (409 already_finished).
    return this.book.apply(e, { type: 'CANCEL', at: now, listening }) ?? ok({ ...toResult(e.snap, this.wall), was: was as 'queued' | 'delivered', ...why });
  }

  /** The agent's cancel channel: answered when the exec ends (`cancelled`: by a cancel), or null after the wait. */
  private watchCancel(id: string, waitMs: number, signal: AbortSignal | undefined): Result<CancelWatchReply | null> | Promise<Result<unknown>> {
    const e = this.book.find(id);
    if (!e) return this.unknown(id);
    if (isFinished(e.snap)) return ok({ cancelled: statusOf(e.snap) === 'cancelled' });
    if (waitMs <= 0 || this.deps.closing()) return ok(null);
    return okParked(this.parking.park(cancelKey(id), waitMs, null, signal));
  }

  private getExec(id: string, waitMs: number, signal: AbortSignal | undefined, now: number): Result<ExecView | null> | Promise<Result<unknown>> {
    const e = this.book.find(id);
    if (!e) return this.unknown(id);
    const parkMs = isSettled(e.snap, now) || this.deps.closing() ? 0 : settleWaitMs(e.snap, waitMs, now);
    return parkMs > 0 ? okParked(this.parking.park(execKey(id), parkMs, null, signal)) : ok(this.execView(e, now));
  }

  private execView(e: Entry, now: number): ExecView {
    const position = statusOf(e.snap) === 'queued' ? this.book.position(e.snap.context.id) : null;
    return toExecView(e.snap, this.nodeId, position, now, this.wall);
  }

  private deliverNext(now: number): ExecDelivery {
    const head = this.book.queued.values().next().value!;
    this.book.apply(head, { type: 'DELIVER', at: now });
    return toDelivery(head.snap, this.wall);
  }

  /** An exec reached a final state: the admins waiting on its result get it now. */
  private finished(e: Entry): void {
    const c = e.snap.context;
    this.deps.onMeasured?.(statusOf(e.snap), (c.finishedAt ?? this.clock.mono()) - c.queuedAt);
    const id = e.snap.context.id;
    const key = resultKey(id);
    if (this.parking.has(key)) this.parking.answerAll(key, { finished: true, result: toResult(e.snap, this.wall) });
    // The agent running it hears of its end (a cancel: it kills the command); waits on GET /execs/{id}
    // get it now, or (a kill report awaited) ask again, parked no longer than the kill wait.
    this.parking.answerAll(cancelKey(id), { cancelled: statusOf(e.snap) === 'cancelled' });
    const now = this.clock.mono();
    this.parking.answerAll(execKey(id), () => (isSettled(e.snap, now) ? this.execView(e, now) : null));
    this.deps.finished?.(this.nodeId, e.snap.context.id, () => toResult(e.snap, this.wall));
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
    return this.hold((async () => {
      for (let i = 0; i < steps.length; i += BULK_CHUNK) {
        if (i > 0) await new Promise((r) => setImmediate(r));
        for (const [e, ev] of steps.slice(i, i + BULK_CHUNK)) this.book.apply(e, ev);
      }
      return then();
    })());
  }

  private getResult(id: string, waitMs: number, signal: AbortSignal | undefined): Result<ResultReply> | Promise<Result<unknown>> {
    const e = this.book.find(id);
    if (!e) return this.unknown(id);
    if (isFinished(e.snap)) return ok({ finished: true, result: toResult(e.snap, this.wall) });
    if (waitMs > 0 && !this.deps.closing()) {
      // Answered by finished(), or with null when the wait runs out: then the caller asks again.
      return okParked(this.parking.park(resultKey(id), waitMs, null, signal));
    }
    return ok({ finished: false, pending: this.pendingView(id, e) });
  }

  private pendingView(id: string, e: Entry): ExecPendingView {
    return statusOf(e.snap) === 'delivered'
      ? { status: 'pending', state: 'delivered', position: null }
      : { status: 'pending', state: 'queued', position: this.book.position(id) };
  }

  private unknown(id: string): Result<never> {
    return fail('not_found', `no exec ${JSON.stringify(id.slice(0, 64))} on node ${this.nodeId}`);
  }

  /** Makes sure the timer fires by `at` (monotonic). An earlier timer is kept: its tick re-arms for the rest. */
  private armFor(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    const handle = this.clock.after(Math.max(0, at - this.clock.mono()), () => {
      this.timer = null;
      tell(this, { type: 'tick' });
    });
    this.timer = { at, handle };
  }
}

/** A parked value, wrapped as the domain reply `ok(value)` when it comes. */
function okParked<T>(parked: Promise<T>): Promise<Result<unknown>> {
  return parked.then((v) => ok(v));
}

/** ask() for an exec queue, typed by message: the reply value, or the AppError of its code. */
export const askExec = asker<ExecMsg, ExecReplies>();
