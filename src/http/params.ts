import type { Context } from 'hono';
import type { NodeFacts } from '../actors/exec/control.js';
import type { Fleet } from '../actors/node/fleet.js';
import type { NodeActor } from '../actors/node/actor.js';
import { AppError } from '../errors.js';

/** The node named by the route's `:id`, or a 404 naming it. */
export function nodeFromPath(fleet: Fleet, c: Context): NodeActor {
  const id = c.req.param('id') ?? '';
  const node = fleet.get(id);
  if (!node) throw new AppError('not_found', `no node ${JSON.stringify(id.slice(0, 64))}`);
  return node;
}

/** A node's state and last heartbeat, for a cancel to say why a queued exec never reached it (docs/api.md#exec). */
export function nodeFacts(fleet: Fleet, nodeId: string): NodeFacts | undefined {
  const v = fleet.get(nodeId)?.view();
  return v && { state: v.state, lastSeen: v.last_seen };
}
