/**
 * The journal's line for what a node actor changed on its own (docs/operations.md#logs): a state change or a
 * flag the agent acknowledged, one info line each. The request log no longer writes a line per
 * heartbeat, so this is where a node coming online or starting to provision is told. A registration
 * is told by its route (`node registered`); going offline and an enrollment expiring by the fleet's
 * sweep (one line, or one for many at once).
 */
import type { Logger } from '../../log.js';
import type { NodeIndexPort } from './actor.js';
import { FLAG_NAMES, type NodeRecord } from './record.js';

export class NodeChangeLog implements NodeIndexPort {
  constructor(private readonly log: Logger) {}

  changed(id: string, prev: NodeRecord | null, next: NodeRecord | null): void {
    if (prev === null || next === null) return; // created, restored or deleted: told where that happens
    // A registration (a new token) is told by its route, offline and expiry by the sweep.
    if (prev.state !== next.state && prev.token_hash === next.token_hash && next.state !== 'offline' && next.state !== 'expired') {
      this.log.info(`node ${next.state}`, { node_id: id, from: prev.state });
    }
    // Only an ack clears a flag a reply carried (a failed write's rollback of a new flag is not one).
    for (const f of FLAG_NAMES) {
      if (prev.flags[f] && !next.flags[f] && prev.flags_sent?.includes(f)) this.log.info('node flag acked', { node_id: id, flag: f });
    }
  }
}
