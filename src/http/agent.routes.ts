/**
 * Agent endpoints (docs/api.md#agents-heartbeat-flags-and-the-provision-poll), node token only: heartbeat and the provision poll.
 */
import { Hono } from 'hono';
import { askNode } from '../actors/node/actor.js';
import { AppError } from '../errors.js';
import { authenticateNode, requireNode } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { provisionPlan } from './provision-plan.js';
import { heartbeatBody, parseHeartbeatFast, type HeartbeatBody } from '../wire/agent.js';
import { readJson } from './validate.js';

function toReport(b: HeartbeatBody) {
  const { diagnostics, ack_flags, ...reported } = b;
  return { reported, diagnostics, ack: ack_flags ?? [] };
}

export function agentRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const nodeOnly = requireNode(d.auth);
  const self = (id: string) => {
    const node = d.fleet.get(id);
    if (!node) throw new AppError('unauthorized', 'the token is not valid');
    return node;
  };

  // The hottest route: authenticated in the handler, not by a middleware (one async layer less).
  app.post('/body/heartbeat', async (c) => {
    const node = self(authenticateNode(c, d.auth));
    const body = await readJson(c, heartbeatBody, parseHeartbeatFast);
    const reply = askNode(node, { type: 'heartbeat', report: toReport(body) }, { waiter: c.get('inflight') });
    // A steady heartbeat is answered synchronously: no await (and no microtask) for it.
    return c.json(reply instanceof Promise ? await reply : reply);
  });

  app.get('/body/provision', nodeOnly, (c) => {
    const r = self(c.get('nodeId')).published;
    return c.json(provisionPlan(r.roles, r.flags.reprovision, d.config));
  });

  return app;
}
