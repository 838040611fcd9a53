import type { Context } from 'hono';
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
