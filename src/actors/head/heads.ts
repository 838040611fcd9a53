/**
 * Heads: the supervisor of head actors and the keeper of the indexes heads read. Fed by the node
 * actors' published changes (it is one of the fleet's watchers): a head-kind node gets its head
 * actor when it appears (an enrollment, an iPad's registration, nodes.yaml at boot) and loses it
 * when it is deleted; every record change keeps the eligibility index current. Head actors publish
 * which body they stream from, which gives each body's `active_heads`.
 */
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { AppError } from '../../errors.js';
import type { EligibleBody } from '../../wire/heads.js';
import { tell } from '../kernel/ask.js';
import type { ActorSystem } from '../kernel/system.js';
import type { Waiter } from '../kernel/ask.js';
import type { NodeActor, NodeIndexPort } from '../node/actor.js';
import { isHeadKind, type NodeRecord } from '../node/record.js';
import { askHead, HeadActor } from './actor.js';
import { BodyIndex } from './eligibility.js';

export interface HeadsDeps {
  clock: Clock;
  system: ActorSystem;
  /** The node actor of a node id (a head's own: its persist port, its place). */
  node(id: string): NodeActor | undefined;
  log?: Logger;
}

export class Heads implements NodeIndexPort {
  private readonly heads = new Map<string, HeadActor>();
  private readonly active = new Map<string, number>();
  /** Heads registered with the fleet token that never reported back (`awaiting_report`). */
  private pending = 0;
  readonly bodies = new BodyIndex();

  /** Given to the fleet as one of its watchers (a NodeIndexPort), at construction. */
  constructor(private readonly deps: HeadsDeps) {}

  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void {
    this.bodies.changed(id, prev, next);
    this.pending += (next?.awaiting_report ? 1 : 0) - (prev?.awaiting_report ? 1 : 0);
    const isHead = next !== null && isHeadKind(next.kind);
    const head = this.heads.get(id);
    if (isHead && !head) this.spawn(id, next);
    else if (!isHead && head) this.drop(head);
  }

  get(nodeId: string): HeadActor | undefined {
    return this.heads.get(nodeId);
  }

  all(): IterableIterator<HeadActor> {
    return this.heads.values();
  }

  get size(): number {
    return this.heads.size;
  }

  /** Heads registered with the fleet token that have not reported back yet. */
  get pendingCount(): number {
    return this.pending;
  }

  /** Heads currently streaming from `bodyId` (from the head actors' reported statuses). */
  activeHeads(bodyId: string): number {
    return this.active.get(bodyId) ?? 0;
  }

  /** The eligible bodies for the head `headId`, best first (docs/api.md#heads-and-eligibility). */
  eligibleFor(headId: string): EligibleBody[] {
    const head = this.heads.get(headId);
    const node = this.deps.node(headId);
    if (!head || !node) throw new AppError('not_found', `no head ${JSON.stringify(headId.slice(0, 64))}`);
    const r = node.published;
    const place = { district: r.district, venue: r.venue, owner: r.owner, pinnedBodyId: head.snapshot.assignment?.body_id ?? null };
    return this.bodies.rank(place, (b) => this.activeHeads(b));
  }

  /**
   * A body was deleted: every head the admin had assigned to it loses that assignment (durable,
   * or handed to the request's `waiter` like any change) and falls back to eligibility. Returns the
   * heads cleared, for the audit.
   */
  async clearAssignmentsTo(bodyId: string, waiter?: Waiter): Promise<string[]> {
    const pinned = [...this.heads.values()].filter((h) => h.snapshot.assignment?.body_id === bodyId);
    const cleared: string[] = [];
    for (const head of pinned) {
      await askHead(head, { type: 'assign', bodyId: null, bodyKind: 'unknown', appId: null }, { waiter });
      this.deps.log?.info('head assignment cleared: its body was deleted', { node_id: head.nodeId, body_id: bodyId });
      cleared.push(head.nodeId);
    }
    return cleared;
  }

  private spawn(id: string, record: NodeRecord): void {
    const head = new HeadActor(id, record, {
      clock: this.deps.clock,
      observer: this.deps.system,
      node: this.deps.node,
      activeMoved: (prev, next) => this.moveActive(prev, next),
    });
    this.heads.set(id, head);
    this.deps.system.register(head);
  }

  private drop(head: HeadActor): void {
    this.heads.delete(head.nodeId);
    this.deps.system.unregister(head);
    tell(head, { type: 'stop' });
  }

  private moveActive(prev: string | null, next: string | null): void {
    if (prev !== null) {
      const n = (this.active.get(prev) ?? 1) - 1;
      if (n > 0) this.active.set(prev, n);
      else this.active.delete(prev);
    }
    if (next !== null) this.active.set(next, (this.active.get(next) ?? 0) + 1);
  }
}
