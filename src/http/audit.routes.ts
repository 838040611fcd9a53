/**
 * GET /api/v1/audit (docs/api.md#accountability, admin): the audit log newest first, filtered by node, operator and
 * time (`since`: an RFC 3339 time or a duration back from now such as `1h`), at most `limit` lines.
 */
import { Hono } from 'hono';
import { auditQuery, parseSince } from '../wire/audit.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { readQuery } from './validate.js';

export function auditRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/audit', requireAdmin(d.auth), async (c) => {
    const q = readQuery(c, auditQuery);
    const since = q.since === undefined ? undefined : (parseSince(q.since, d.clock.now()) ?? undefined);
    return c.json(await d.audit.query({ node: q.node, operator: q.operator, since, limit: q.limit }));
  });
  return app;
}
