/**
 * Fleet exec (docs/api.md#fleet-exec): submit one command to every node a target selects, and read the batch
 * (long-poll). Selection reads the node records the fleet indexes (no message per node); the batch
 * actor submits through each node's exec queue and gathers the results.
 */
import { Hono, type Context } from 'hono';
import { askBatch } from '../actors/batch/actor.js';
import { selectNodes } from '../actors/batch/select.js';
import { nextTurn } from '../actors/batch/slices.js';
import { AppError } from '../errors.js';
import { batchQuery, batchSubmitBody } from '../wire/index.js';
import { requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { PARK_ASK_MARGIN_MS, whileConnected } from './exec.routes.js';
import { jsonStreamResponse } from './json-stream.js';
import { readJson, readQuery } from './validate.js';

const MS_PER_S = 1000;
/** Submitting to a whole fleet takes a few hundred ms per 10,000 nodes; this is the ask's ceiling. */
const START_ASK_TIMEOUT_MS = 60_000;
/** Above this many members, the submit's reply is serialized in a later turn than the one that built it. */
const LARGE_REPLY_MEMBERS = 1000;

/** The fleet-exec routes, mounted under /api/v1. */
export function batchRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const waiter = (c: Context<AppEnv>) => ({ waiter: c.get('inflight') });

  app.post('/exec', adminOnly, async (c) => {
    const body = await readJson(c, batchSubmitBody);
    const { selected, skipped } = await selectNodes(d.fleet, body.target);
    const batch = d.batches.create({ command: body.command, interpreter: body.interpreter, timeoutS: body.timeout_s });
    const r = await askBatch(batch, { type: 'start', nodes: selected, skipped }, { ...waiter(c), timeoutMs: START_ASK_TIMEOUT_MS });
    // docs/api.md#accountability: the fleet exec's targets as selected (the audit keeps the first 1,000 ids).
    c.set('auditNote', { batch_id: batch.id, nodes: r.execs.map((e) => e.node_id), skipped: r.skipped.length });
    // The reply of a large fan-out (~85 bytes a member: 850 KB for 10,000) is serialized in a turn
    // of its own, not in the one that built it (the event loop stays under ~10 ms a turn).
    if (r.execs.length > LARGE_REPLY_MEMBERS) await nextTurn();
    return c.json({ batch_id: batch.id, ...r }, r.execs.length > 0 ? 202 : 200);
  });

  // ?wait=N: parked in the batch until every member finished (or, with ?since=K, one more did).
  // One page per answer (?offset=M or ?since=K for the next), written out piece by piece.
  app.get('/exec/batches/:batchId', adminOnly, async (c) => {
    const q = readQuery(c, batchQuery);
    const id = c.req.param('batchId');
    const batch = d.batches.get(id);
    if (!batch) throw new AppError('not_found', `no batch ${JSON.stringify(id.slice(0, 64))} (finished batches are kept result_ttl_s)`);
    const waitMs = q.wait * MS_PER_S;
    const opts = { ...waiter(c), timeoutMs: waitMs + PARK_ASK_MARGIN_MS };
    const page = { since: q.since, offset: q.offset };
    let view = await whileConnected(c, async (signal) => askBatch(batch, { type: 'get', waitMs, ...page, signal }, opts));
    view ??= await askBatch(batch, { type: 'get', waitMs: 0, ...page }, waiter(c));
    return jsonStreamResponse(view);
  });

  return app;
}
