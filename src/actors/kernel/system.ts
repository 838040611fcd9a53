/**
 * The actor system: the registry of live cells (by id) and the set of busy ones. It holds no
 * domain state; it is what the debug endpoints and the health check read.
 */
import type { Clock } from '../../clock.js';
import type { ActorCell, CellObserver } from './cell.js';

export type AnyCell = ActorCell<any, any>;

export interface ActorSummary {
  id: string;
  kind: string;
  state: string;
  mailbox: number;
  oldest_message_age_ms: number | null;
  last_event: string | null;
  last_event_at: string | null;
  /** Present for actors that serve one node (shell sessions). */
  node_id?: string;
}

export class ActorSystem implements CellObserver {
  private readonly cells = new Map<string, AnyCell>();
  private readonly busyCells = new Set<AnyCell>();

  constructor(readonly clock: Clock) {}

  register(cell: AnyCell): void {
    this.cells.set(cell.id, cell);
  }

  unregister(cell: AnyCell): void {
    if (this.cells.get(cell.id) === cell) this.cells.delete(cell.id);
    this.busyCells.delete(cell);
  }

  get(id: string): AnyCell | undefined {
    return this.cells.get(id);
  }

  get size(): number {
    return this.cells.size;
  }

  busy(cell: AnyCell): void {
    this.busyCells.add(cell);
  }

  idle(cell: AnyCell): void {
    this.busyCells.delete(cell);
  }

  /** Ids of actors whose oldest unanswered message is older than `thresholdMs`. */
  stuck(thresholdMs: number): string[] {
    const now = this.clock.mono();
    const out: string[] = [];
    for (const c of this.busyCells) {
      const age = c.oldestMessageAgeMs(now);
      if (age !== null && age > thresholdMs) out.push(c.id);
    }
    return out;
  }

  /** The deepest mailbox and the oldest unanswered message's age, over the busy actors (metrics). */
  pressure(): { deepestMailbox: number; oldestMessageAgeMs: number } {
    const now = this.clock.mono();
    let deepestMailbox = 0;
    let oldestMessageAgeMs = 0;
    for (const c of this.busyCells) {
      deepestMailbox = Math.max(deepestMailbox, c.mailboxDepth);
      oldestMessageAgeMs = Math.max(oldestMessageAgeMs, c.oldestMessageAgeMs(now) ?? 0);
    }
    return { deepestMailbox, oldestMessageAgeMs };
  }

  summary(cell: AnyCell, now = this.clock.mono()): ActorSummary {
    const last = cell.lastEvent;
    const node = cell.ownerNodeId();
    const out: ActorSummary = {
      id: cell.id,
      kind: cell.kind,
      state: cell.stateName(),
      mailbox: cell.mailboxDepth,
      oldest_message_age_ms: cell.oldestMessageAgeMs(now),
      last_event: last.type,
      last_event_at: last.at === null ? null : new Date(last.at).toISOString(),
    };
    if (node !== null) out.node_id = node;
    return out;
  }

  /**
   * Actors for GET /debug/actors: busy ones first (deepest mailbox first), then the rest in
   * registration order, at most `limit`, optionally of one kind.
   */
  list(opts: { limit: number; kind?: string }): { total: number; actors: ActorSummary[] } {
    const now = this.clock.mono();
    const match = (c: AnyCell) => !opts.kind || c.kind === opts.kind;
    const busy = [...this.busyCells].filter(match).sort((a, b) => b.mailboxDepth - a.mailboxDepth);
    const out = busy.slice(0, opts.limit).map((c) => this.summary(c, now));
    let total = 0;
    for (const c of this.cells.values()) {
      if (!match(c)) continue;
      total++;
      if (out.length < opts.limit && !this.busyCells.has(c)) out.push(this.summary(c, now));
    }
    return { total, actors: out };
  }
}
