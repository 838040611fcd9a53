/**
 * Exec control (docs/api.md#exec): an exec by its id alone (`GET`/`DELETE /execs/{execId}`, admin), and
 * the agent's cancel channel for the exec it runs (`GET /body/exec/{execId}/cancel?wait=N`, node
 * token: only its own node's execs). The exec-id index lives in ExecQueues.
 */
import { Hono, type Context } from 'hono';
import { askExec, type ExecQueueActor } from '../actors/exec/queue-actor.js';
import { AppError } from '../errors.js';
import { cancelWatchQuery, execViewQuery } from '../wire/exec-control.js';
import { requireAdmin, requireNode } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { PARK_ASK_MARGIN_MS, whileConnected } from './exec.routes.js';
import { nodeFacts } from './params.js';
import { readQuery } from './validate.js';

const MS_PER_S = 1000;

const unknownExec = (id: string) => new AppError('not_found', `no exec ${JSON.stringify(id.slice(0, 64))} (unknown, or its result was forgotten after result_ttl_s)`);

export function execControlRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const waiter = (c: Context<AppEnv>) => ({ waiter: c.get('inflight') });
  const queueOf = (c: Context<AppEnv>): { queue: ExecQueueActor; execId: string } => {
    const execId = c.req.param('execId') ?? '';
    const queue = d.execQueues.byExecId(execId);
    if (!queue) throw unknownExec(execId);
    return { queue, execId };
  };

  // 200 when the exec ends ({"cancelled": true}: kill it), 204 after N s, 404 unknown to this node.
  app.get('/body/exec/:execId/cancel', requireNode(d.auth), async (c) => {
    const waitMs = readQuery(c, cancelWatchQuery).wait * MS_PER_S;
    const execId = c.req.param('execId');
    const queue = d.execQueues.get(c.get('nodeId'));
    if (!queue) throw unknownExec(execId);
    const opts = { ...waiter(c), timeoutMs: waitMs + PARK_ASK_MARGIN_MS };
    const r = await whileConnected(c, async (signal) => askExec(queue, { type: 'watch_cancel', id: execId, waitMs, signal }, opts));
    return r ? c.json(r) : c.body(null, 204);
  });

  // ?wait=N: parked until the exec is finished and no kill report is awaited, or N s.
  app.get('/execs/:execId', adminOnly, async (c) => {
    const { queue, execId } = queueOf(c);
    const deadline = d.clock.mono() + readQuery(c, execViewQuery).wait * MS_PER_S;
    for (;;) {
      // A wait that ends unsettled (null) is asked again for the time left; with none left, the exec as it is.
      const waitMs = Math.max(0, deadline - d.clock.mono());
      const opts = { ...waiter(c), timeoutMs: waitMs + PARK_ASK_MARGIN_MS };
      const r = await whileConnected(c, async (signal) => askExec(queue, { type: 'get_exec', id: execId, waitMs, signal }, opts));
      if (r) return c.json(r);
      if (c.req.raw.signal.aborted) return c.body(null, 204);
    }
  });

  app.delete('/execs/:execId', adminOnly, async (c) => {
    const { queue, execId } = queueOf(c);
    c.set('auditNote', { node_id: queue.nodeId, exec_id: execId });
    return c.json(await askExec(queue, { type: 'cancel', id: execId, node: nodeFacts(d.fleet, queue.nodeId) }, waiter(c)));
  });

  return app;
}
