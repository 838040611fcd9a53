/**
 * Who may use a head's endpoints (docs/api.md#conventions, docs/api.md#heads-and-eligibility): the admin token, or the node token of that head
 * (its own `GET/PUT /heads/{id}`, `/heads/{id}/experiences`, `/bodies/eligible`). Another node's
 * token, a body's token or the fleet token: 403; no or an unknown token: 401.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { HeadActor } from '../actors/head/actor.js';
import type { Heads } from '../actors/head/heads.js';
import type { Fleet } from '../actors/node/fleet.js';
import { AppError } from '../errors.js';
import { bearer, classify, refuse, type AuthDeps } from './auth.js';
import type { AppEnv } from './env.js';

/** The admin token or a node token; the handler then checks the node is the head concerned. */
export function requireAdminOrHead(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return function requireAdminOrHeadMiddleware(c, next) {
    const cred = classify(bearer(c), deps);
    if (cred.kind === 'admin') {
      c.set('admin', true);
      c.set('operator', cred.operator);
    } else if (cred.kind === 'node') c.set('nodeId', cred.nodeId);
    else refuse(c, deps, cred, 'use head endpoints');
    return next();
  };
}

/** A node token may act only for its own head. */
export function ensureSelf(c: Context<AppEnv>, headId: string): void {
  if (c.get('admin') === true) return;
  if (c.get('nodeId') !== headId) throw new AppError('forbidden', 'this token is not allowed to act for another node');
}

/** The head actor of `id`: 404 when no node has it, 409 `wrong_kind` when the node is a body. */
export function headById(heads: Heads, fleet: Fleet, id: string): HeadActor {
  const head = heads.get(id);
  if (head) return head;
  if (fleet.get(id)) throw new AppError('wrong_kind', `node ${id} is a body, not a head`);
  throw new AppError('not_found', `no head ${JSON.stringify(id.slice(0, 64))}`);
}

/** The head named by the route's `:id`, after the caller's rights on it were checked. */
export function headFromPath(heads: Heads, fleet: Fleet, c: Context<AppEnv>): HeadActor {
  const id = c.req.param('id') ?? '';
  ensureSelf(c, id);
  return headById(heads, fleet, id);
}
