/**
 * ExecQueues: the supervisor of the per-node exec queue actors. A queue is created on first use
 * (a submit or an agent's poll), so idle nodes cost nothing; it is stopped when its node is
 * deleted. Counts are read straight from the queue (no message), for heartbeats and node objects.
 */
import type { Clock } from '../../clock.js';
import { tell } from '../kernel/ask.js';
import type { ActorSystem } from '../kernel/system.js';
import { ResultBudget, type ExecSettings } from './book.js';
import { ExecQueueActor } from './queue-actor.js';
import type { ExecResultView } from './view.js';

export interface ExecCounts {
  /** Queued, not yet delivered. */
  pending: number;
  /** Queued plus delivered-but-unanswered. */
  depth: number;
  /** docs/api.md#accountability: queued work waits unfetched past the threshold (see ExecQueueActor.stalled). */
  stalled: boolean;
}

const NO_EXECS: ExecCounts = Object.freeze({ pending: 0, depth: 0, stalled: false });

/** Creates, finds and stops the per-node exec queue actors. */
export class ExecQueues {
  private readonly queues = new Map<string, ExecQueueActor>();
  private closing = false;
  /** Nodes whose queue says it is stalled: published by the queues, read by health. */
  private readonly stalled = new Set<string>();
  /** Told when a node's queue becomes stalled or stops being so (the server logs it). */
  onStalledChange: (nodeId: string, stalled: boolean) => void = () => {};
  /** Told of every exec reaching a final state, with its round trip (metrics; apart from `onFinished`, which batches own). */
  onMeasured: (status: string, roundTripMs: number) => void = () => {};
  /** Finished output kept by all queues together. */
  readonly budget = new ResultBudget();
  /**
   * Exec id → node id, for the routes by exec id alone (docs/api.md#exec). Bounded like the results: an
   * id leaves when its queue forgets it (result TTL, per-queue and fleet caps, the node deleted).
   */
  private readonly owners = new Map<string, string>();
  /** Notification port: told when any exec reaches a final state (the fleet-exec batches listen). */
  onFinished: (nodeId: string, execId: string, view: () => ExecResultView) => void = () => {};

  /** The settings now: an immutable value, replaced whole by {@link reconfigure}. */
  private settings: Readonly<ExecSettings>;

  constructor(private readonly deps: { clock: Clock; system: ActorSystem; settings: ExecSettings }) {
    this.settings = Object.freeze({ ...deps.settings });
  }

  /** A config reload: every queue reads the new settings from its next message on. */
  reconfigure(settings: ExecSettings): void {
    this.settings = Object.freeze({ ...settings });
  }

  /** The node's queue, if it was ever used. */
  get(nodeId: string): ExecQueueActor | undefined {
    return this.queues.get(nodeId);
  }

  /** The node's queue, created (and registered with the actor system) on first use. */
  ensure(nodeId: string): ExecQueueActor {
    let q = this.queues.get(nodeId);
    if (!q) {
      q = new ExecQueueActor(nodeId, {
        clock: this.deps.clock,
        observer: this.deps.system,
        settings: () => this.settings,
        budget: this.budget,
        closing: () => this.closing,
        finished: (nodeId, execId, view) => this.onFinished(nodeId, execId, view),
        indexed: (execId, owner) => (owner === null ? this.owners.delete(execId) : this.owners.set(execId, owner)),
        onStalled: (id, stalled) => {
          if (stalled) this.stalled.add(id);
          else this.stalled.delete(id);
          this.onStalledChange(id, stalled);
        },
        onMeasured: (status, ms) => this.onMeasured(status, ms),
      });
      this.queues.set(nodeId, q);
      this.deps.system.register(q);
    }
    return q;
  }

  /** The queue holding `execId`, while any queue holds it. */
  byExecId(execId: string): ExecQueueActor | undefined {
    const nodeId = this.owners.get(execId);
    return nodeId === undefined ? undefined : this.queues.get(nodeId);
  }

  /** Exec ids indexed (debug and tests). */
  get indexedExecs(): number {
    return this.owners.size;
  }

  counts(nodeId: string): ExecCounts {
    const q = this.queues.get(nodeId);
    return q ? { pending: q.pendingCount, depth: q.depth, stalled: q.stalled } : NO_EXECS;
  }

  /** Ids of the nodes whose queue is stalled (a small set kept by the queues, not a scan). */
  stalledIds(): string[] {
    return [...this.stalled];
  }

  /** Execs queued and not yet delivered, over all queues (metrics, at scrape time). */
  queuedTotal(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.pendingCount;
    return n;
  }

  get size(): number {
    return this.queues.size;
  }

  /** The node is gone: its queue stops (a parked poll gets 204) and leaves the registry. */
  remove(nodeId: string): void {
    const q = this.queues.get(nodeId);
    if (!q) return;
    this.queues.delete(nodeId);
    this.stalled.delete(nodeId);
    this.deps.system.unregister(q);
    tell(q, { type: 'stop' });
  }

  /** Shutdown: every parked reply (polls: 204, result waits: 202) is answered now, and none parks from here on. */
  wakeAll(): void {
    this.closing = true;
    for (const q of this.queues.values()) if (q.hasParked) tell(q, { type: 'wake' });
  }
}
