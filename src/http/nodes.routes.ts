/**
 * Admin endpoints for nodes (docs/api.md#nodes). Reads come from each actor's current state; every change
 * is one message to that node's actor, answered once nodes.yaml has it.
 */
import { Hono, type Context } from 'hono';
import { askNode, type NodeActor } from '../actors/node/actor.js';
import { matchesNodeQuery } from '../actors/node/filter.js';
import { AppError } from '../errors.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { jsonArrayResponse } from './json-stream.js';
import { drainBody, nodesQuery, patchBody, rolesBody } from '../wire/nodes.js';
import { nodeFromPath } from './params.js';
import { readJson, readQuery } from './validate.js';

export function nodesRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const nodeOf = (c: Context<AppEnv>): NodeActor => nodeFromPath(d.fleet, c);
  const flag = (type: 'update_node' | 'update_services') => async (c: Context<AppEnv>) =>
    c.json(await askNode(nodeOf(c), { type: 'set_flag', flag: type }, { waiter: c.get('inflight') }), 202);

  app.get('/nodes', adminOnly, (c) => {
    const q = readQuery(c, nodesQuery);
    const nodes = [...d.fleet.all()].filter((n) => matchesNodeQuery(n.published, q));
    return jsonArrayResponse(nodes, (n) => n.view());
  });

  app.get('/nodes/:id', adminOnly, (c) => c.json(nodeOf(c).view()));

  app.patch('/nodes/:id', adminOnly, async (c) => {
    const node = nodeOf(c);
    const changes = await readJson(c, patchBody);
    return c.json(await askNode(node, { type: 'update', changes }, { waiter: c.get('inflight') }));
  });

  app.delete('/nodes/:id', adminOnly, async (c) => {
    const node = nodeOf(c);
    await askNode(node, { type: 'delete' }, { waiter: c.get('inflight') });
    d.log.info('node deleted', { node_id: node.id });
    // Heads the admin had pinned to this body fall back to eligibility: written in the same fsync
    // round, and named in the delete's audit line (`audit --node HEAD` finds it).
    const cleared = await d.heads.clearAssignmentsTo(node.id, c.get('inflight'));
    if (cleared.length > 0) c.set('auditNote', { cleared_heads: cleared });
    return c.body(null, 204);
  });

  app.post('/nodes/:id/roles', adminOnly, async (c) => {
    const node = nodeOf(c);
    const { roles } = await readJson(c, rolesBody);
    const unknown = roles.find((r) => !Object.hasOwn(d.config.roles, r));
    if (unknown !== undefined) throw new AppError('unknown_role', `role ${JSON.stringify(unknown)} is not in the RoleCatalog`);
    return c.json(await askNode(node, { type: 'set_roles', roles: [...new Set(roles)] }, { waiter: c.get('inflight') }));
  });

  app.get('/roles', adminOnly, (c) => c.json(d.config.roles));

  app.post('/nodes/:id/update-node', adminOnly, flag('update_node'));
  app.post('/nodes/:id/update-services', adminOnly, flag('update_services'));

  app.post('/nodes/:id/reprovision', adminOnly, async (c) =>
    c.json(await askNode(nodeOf(c), { type: 'reprovision' }, { waiter: c.get('inflight') }), 202),
  );

  app.post('/nodes/:id/drain', adminOnly, async (c) => {
    const node = nodeOf(c);
    const body = await readJson(c, drainBody);
    return c.json(await askNode(node, { type: 'drain', drain: body.drain, reason: body.reason ?? null }, { waiter: c.get('inflight') }));
  });

  return app;
}
