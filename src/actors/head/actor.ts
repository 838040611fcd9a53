/**
 * HeadActor: one per head node (actor id `<node id>/head`), on the kernel path
 * (../kernel/machine-actor.ts), beside the node actor of the same node (which keeps the lifecycle:
 * online/offline, last_seen, the token). It holds the head's side: its status (the machine's
 * state), diagnostics, the body it streams from, the admin's assignment and the experience
 * allow-list.
 *
 * State flows one way: a durable change (assignment, allow-list) is persisted through the head's
 * persist port, which is the node actor (the owner of the node's nodes.yaml line); the kernel holds
 * the head's mailbox until the node actor's write settles and undoes the change if it failed.
 */
import type { Clock } from '../../clock.js';
import { AppError, ok, type Result } from '../../errors.js';
import type { HeadStatus } from '../../wire/heads.js';
import { asker } from '../kernel/ask.js';
import type { CellObserver } from '../kernel/cell.js';
import { settled, type Commit } from '../kernel/commit.js';
import { MachineActor } from '../kernel/machine-actor.js';
import type { Snapshot } from '../kernel/machine.js';
import type { NodeActor } from '../node/actor.js';
import type { NodeRecord } from '../node/record.js';
import { headMachine, type HeadAssignment, type HeadContext, type HeadEvent } from './machine.js';

/** The head actor's messages: its machine's events, and its end (the node was deleted or is no longer a head). */
export type HeadMsg = HeadEvent | { type: 'stop' };

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
  /** The node actor of a node id (this head's own: its persist port). */
  node(id: string): NodeActor | undefined;
  /** The head's `activeOn` moved from `prev` to `next` (the active-heads count per body). */
  activeMoved(prev: string | null, next: string | null): void;
}

const activeOn = (status: HeadStatus, ctx: HeadContext): string | null =>
  status === 'streaming' ? (ctx.streamingBodyId ?? ctx.assignment?.body_id ?? null) : null;

export class HeadActor extends MachineActor<HeadMsg, typeof headMachine> {
  protected readonly machine = headMachine;
  /** Every head effect is publishing (adopt) and persisting: no other port. */
  protected readonly ports = {};
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

  protected handle(msg: HeadMsg): Result<unknown> | Commit<Result<unknown>> {
    if (msg.type !== 'stop') return this.run(msg, () => this.snapshot);
    this.adopt({ value: 'idle', context: this.ctx }); // its streaming no longer counts
    this.stopCell();
    return ok(null);
  }

  protected current(): Snapshot<HeadContext> {
    return { value: this.status, context: this.ctx };
  }

  /** Takes a snapshot as the actor's own and publishes where it streams now. */
  protected adopt(s: Snapshot<HeadContext>): void {
    const before = activeOn(this.status, this.ctx);
    this.status = s.value as HeadStatus;
    this.ctx = s.context;
    const after = activeOn(this.status, this.ctx);
    if (before !== after) this.deps.activeMoved(before, after);
  }

  /** The head's durable side goes to its node actor, which owns the nodes.yaml line. */
  protected persist(durable: boolean): Promise<void> | void {
    if (!durable) return;
    const node = this.deps.node(this.nodeId);
    if (!node) return Promise.reject(new AppError('not_found', `node ${this.nodeId} no longer exists`));
    const changes = { assignment: this.ctx.assignment, allowed_experiences: [...this.ctx.allowed] };
    return Promise.resolve(settled(node.send({ type: 'set_head', changes }))).then((r) => {
      if (!r.ok) throw new AppError(r.code, r.message);
    });
  }
}

/** ask() for a head actor, typed by message. */
export const askHead = asker<HeadMsg, HeadReplies>();
