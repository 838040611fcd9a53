/**
 * Health (no auth) and the debug endpoints (admin) of docs/api.md#nodes, docs/api.md#health-and-debugging.
 */
import { Hono } from 'hono';
import { AppError } from '../errors.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { actorsQuery } from '../wire/nodes.js';
import { readQuery } from './validate.js';

/** An actor with a message waiting longer than this makes the server `degraded`. */
export const STUCK_AFTER_MS = 5000;

export function systemRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);

  app.get('/health', (c) => {
    const stuck = d.system.stuck(STUCK_AFTER_MS);
    const body = {
      status: stuck.length > 0 ? 'degraded' : 'ok',
      version: d.version,
      uptime_s: Math.floor((d.clock.mono() - d.startedAt) / 1000),
      nodes: d.fleet.stateCounts(),
      // docs/api.md#accountability: from the small set the exec queues keep, limited to nodes that still heartbeat.
      exec_stalled: d.execQueues.stalledIds().filter((id) => d.fleet.get(id)?.stateName() === 'online'),
      ...(stuck.length > 0 ? { stuck } : {}),
    };
    return c.json(body, stuck.length > 0 ? 503 : 200);
  });

  app.get('/debug/actors', adminOnly, (c) => {
    const q = readQuery(c, actorsQuery);
    const { total, actors } = d.system.list({ limit: q.limit, kind: q.kind });
    c.header('X-Total-Count', String(total));
    return c.json(actors);
  });

  app.get('/debug/actors/:id{.+}', adminOnly, (c) => {
    const id = c.req.param('id');
    const cell = d.system.get(id);
    if (!cell) throw new AppError('not_found', `no actor ${JSON.stringify(id.slice(0, 80))}`);
    return c.json({ ...d.system.summary(cell), context: cell.debugContext(), pending: cell.pending() });
  });

  app.get('/debug/requests', adminOnly, (c) => c.json(d.requests.list()));

  return app;
}
