/**
 * HeadActor: one per head node (actor id `<node id>/head`), on the kernel, beside the node actor
 * of the same node (which keeps the lifecycle: online/offline, last_seen, the token). It holds the
 * head's side: its status (the machine's state), diagnostics, the body it streams from, the
 * admin's assignment and the experience allow-list.
 *
 * State flows one way: a durable change (assignment, allow-list) is sent to the node actor, which
 * owns the node's nodes.yaml line. The head actor takes the change as its own once the node actor
 * has decided it and holds its mailbox until the disk has it; a failed write undoes it (no trace). A PUT from the head also
 * counts as its heartbeat: the head actor passes it on to the node actor (an admin's PUT does not:
 * an operator setting a status must not make a silent kiosk look alive).
 */
import type { Clock } from '../../clock.js';
import { ok, type Result } from '../../errors.js';
import type { HeadStatus } from '../../wire/heads.js';
import { asker } from '../kernel/ask.js';
import { ActorCell, Committing, settled, type Answer, type CellObserver } from '../kernel/cell.js';
import { step, type Step } from '../kernel/machine.js';
import type { NodeActor } from '../node/actor.js';
import type { HeadChanges } from '../node/machine.js';
import type { NodeRecord } from '../node/record.js';
import { headMachine, type BodyKindSeen, type HeadAssignment, type HeadContext, type HeadEvent } from './machine.js';

export type HeadMsg =
  /** `beat`: the head itself reported (its token), so this is also its node's heartbeat. */
  | { type: 'report'; status?: HeadStatus; diagnostics?: Record<string, unknown>; streamingBodyId?: string | null; beat: boolean }
  | { type: 'assign'; bodyId: string | null; bodyKind: BodyKindSeen; appId: string | null }
  | { type: 'allow'; experiences: string[] }
  | { type: 'stop' };

/** Replies carry the head's snapshot; the routes build the head object from it. */
export interface HeadReplies {
  report: HeadSnapshot;
  assign: HeadSnapshot;
  allow: HeadSnapshot;
  stop: null;
}

/** What the head actor publishes and the views read (no message needed). */
export interface HeadSnapshot {
  id: string;
  status: HeadStatus;
  diagnostics: Record<string, unknown>;
  assignment: HeadAssignment | null;
  allowed: readonly string[];
  /** The body this head counts toward (`active_heads`) while streaming, else null. */
  activeOn: string | null;
}

export interface HeadActorDeps {
  clock: Clock;
  observer: CellObserver;
  /** The node actor of a node id (this head's own, for its durable side and heartbeat). */
  node(id: string): NodeActor | undefined;
  /** The head's `activeOn` moved from `prev` to `next` (the active-heads count per body). */
  activeMoved(prev: string | null, next: string | null): void;
}

const activeOn = (status: HeadStatus, ctx: HeadContext): string | null =>
  status === 'streaming' ? (ctx.streamingBodyId ?? ctx.assignment?.body_id ?? null) : null;

export class HeadActor extends ActorCell<HeadMsg, Result<unknown>> {
  private status: HeadStatus = 'idle';
  private ctx: HeadContext;

  constructor(readonly nodeId: string, record: NodeRecord, private readonly deps: HeadActorDeps) {
    super(`${nodeId}/head`, 'head', deps.clock, deps.observer);
    this.ctx = { diagnostics: {}, streamingBodyId: null, assignment: record.assignment ?? null, allowed: record.allowed_experiences ?? [] };
  }

  stateName(): HeadStatus {
    return this.status;
  }

  get snapshot(): HeadSnapshot {
    const c = this.ctx;
    return { id: this.nodeId, status: this.status, diagnostics: c.diagnostics, assignment: c.assignment, allowed: c.allowed, activeOn: activeOn(this.status, c) };
  }

  debugContext(): Record<string, unknown> {
    return { node_id: this.nodeId, status: this.status, ...this.ctx };
  }

  protected handle(msg: HeadMsg): Answer<Result<unknown>> {
    switch (msg.type) {
      case 'report':
        return this.report(msg);
      case 'assign':
        return this.conclude(this.run({ type: 'ASSIGN', bodyId: msg.bodyId, bodyKind: msg.bodyKind, appId: msg.appId }), (c) => ({ assignment: c.assignment }));
      case 'allow':
        return this.conclude(this.run({ type: 'ALLOW', experiences: msg.experiences }), (c) => ({ allowed_experiences: [...c.allowed] }));
      case 'stop':
        this.adopt(this.status, this.ctx, 'idle'); // its streaming no longer counts
        this.stopCell();
        return ok(null);
    }
  }

  private run(ev: HeadEvent): Step<HeadContext> {
    return step(headMachine, this.status, this.ctx, ev, {});
  }

  /** Takes a step's result as the actor's own and publishes where it streams now. */
  private adopt(prevStatus: HeadStatus, ctx: HeadContext, status: HeadStatus): void {
    const before = activeOn(prevStatus, this.ctx);
    this.status = status;
    this.ctx = ctx;
    const after = activeOn(status, ctx);
    if (before !== after) this.deps.activeMoved(before, after);
  }

  /** The head's own report (PUT): status and telemetry at once, then its node's heartbeat. */
  private report(msg: Extract<HeadMsg, { type: 'report' }>): Result<HeadSnapshot> | Promise<Result<HeadSnapshot>> {
    const s = this.run({ type: 'REPORT', status: msg.status, diagnostics: msg.diagnostics, streamingBodyId: msg.streamingBodyId });
    if (s.rejected) return s.rejected;
    this.adopt(this.status, s.context, s.value as HeadStatus);
    const node = this.deps.node(this.nodeId);
    if (!node || !msg.beat) return ok(this.snapshot);
    const beat = settled(node.deliver({ type: 'heartbeat', report: { reported: {}, ack: [] } }));
    if (!(beat instanceof Promise)) return beat.ok ? ok(this.snapshot) : beat;
    return beat.then((r) => (r.ok ? ok(this.snapshot) : r));
  }

  /**
   * A durable change: once the node actor has decided it, the head actor adopts it and waits (its
   * mailbox held) for the node actor's write; a refusal or a failed write changes nothing here.
   */
  private conclude(s: Step<HeadContext>, durable: (c: HeadContext) => HeadChanges): Result<HeadSnapshot> | Committing<Result<HeadSnapshot>> | Promise<Result<HeadSnapshot>> {
    if (s.rejected) return s.rejected;
    const node = this.deps.node(this.nodeId);
    if (!node) return { ok: false, code: 'not_found', message: `node ${this.nodeId} no longer exists` };
    const apply = (r: Result<unknown>): Result<HeadSnapshot> => {
      if (!r.ok) return r;
      this.adopt(this.status, s.context, s.value as HeadStatus);
      return ok(this.snapshot);
    };
    const written = node.deliver({ type: 'set_head', changes: durable(s.context) });
    if (written instanceof Promise) return Promise.resolve(settled(written)).then(apply); // the node actor was busy
    if (!(written instanceof Committing)) return apply(written);
    const before = { status: this.status, ctx: this.ctx };
    const decided = apply(written.decided);
    return new Committing(decided, written.final.then((r) => {
      if (r.ok) return decided;
      this.adopt(this.status, before.ctx, before.status);
      return r;
    }));
  }
}

/** ask() for a head actor, typed by message. */
export const askHead = asker<HeadMsg, HeadReplies>();
