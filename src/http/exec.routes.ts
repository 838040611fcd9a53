/**
 * Remote exec (docs/api.md#exec): the agent's long-poll and result post (node token), and the admin's
 * submit, queue view, result (long-poll) and cancel. Every handler talks to one node's exec queue
 * actor; a node token only ever reaches its own node's queue.
 */
import { Hono, type Context } from 'hono';
import { askExec, type ExecQueueActor } from '../actors/exec/queue-actor.js';
import type { NodeActor } from '../actors/node/actor.js';
import { requireExecChannel } from '../actors/node/exec-channel.js';
import { AppError } from '../errors.js';
import { requireAdmin, requireNode } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { execPollQuery, execResultBody, execResultQuery, execSubmitBody, type ExecQueueView } from '../wire/exec.js';
import { nodeFacts, nodeFromPath } from './params.js';
import { readJson, readQuery } from './validate.js';

const MS_PER_S = 1000;
/** ask() waits this much longer than a parked reply's own wait, which the queue ends itself. */
export const PARK_ASK_MARGIN_MS = 5000;
const EMPTY_QUEUE: ExecQueueView = { depth: 0, oldest_age_s: null, delivered: [], queued: [] };

const unknownExec = (id: string, nodeId: string) =>
  new AppError('not_found', `no exec ${JSON.stringify(id.slice(0, 64))} on node ${nodeId}`);

/**
 * A signal that aborts when the client hangs up and when this request ends for any reason (ask()
 * gave up, an error): a parked reply nobody reads any more must never be handed anything.
 */
export async function whileConnected<T>(c: Context<AppEnv>, fn: (signal: AbortSignal) => T | Promise<T>): Promise<T> {
  const ended = new AbortController();
  try {
    return await fn(AbortSignal.any([c.req.raw.signal, ended.signal]));
  } finally {
    ended.abort();
  }
}

/** The exec routes, mounted under /api/v1. */
export function execRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const nodeOnly = requireNode(d.auth);
  const waiter = (c: Context<AppEnv>) => ({ waiter: c.get('inflight') });
  const nodeOf = (c: Context<AppEnv>): NodeActor => nodeFromPath(d.fleet, c);
  /** The queue holding `execId`; a node whose queue was never used holds no exec. */
  const queueOf = (c: Context<AppEnv>): { queue: ExecQueueActor; execId: string } => {
    const node = nodeOf(c);
    const execId = c.req.param('execId') ?? '';
    const queue = d.execQueues.get(node.id);
    if (!queue) throw unknownExec(execId, node.id);
    return { queue, execId };
  };

  app.get('/body/exec', nodeOnly, async (c) => {
    const waitMs = readQuery(c, execPollQuery).wait * MS_PER_S;
    const queue = d.execQueues.ensure(c.get('nodeId'));
    const opts = { ...waiter(c), timeoutMs: waitMs + PARK_ASK_MARGIN_MS };
    const exec = await whileConnected(c, async (signal) => askExec(queue, { type: 'poll', waitMs, signal }, opts));
    return exec ? c.json(exec) : c.body(null, 204);
  });

  app.post('/body/exec/result', nodeOnly, async (c) => {
    const report = await readJson(c, execResultBody);
    const nodeId = c.get('nodeId');
    const queue = d.execQueues.get(nodeId);
    if (!queue) throw unknownExec(report.id, nodeId);
    return c.json(await askExec(queue, { type: 'result', report }, waiter(c)));
  });

  app.post('/nodes/:id/exec', adminOnly, async (c) => {
    const node = nodeOf(c);
    const body = await readJson(c, execSubmitBody);
    requireExecChannel(node.published);
    const queue = d.execQueues.ensure(node.id);
    const msg = { type: 'submit', command: body.command, interpreter: body.interpreter, os: node.published.reported.os, timeoutS: body.timeout_s } as const;
    const queued = await askExec(queue, msg, waiter(c));
    c.set('auditNote', { exec_id: queued.id });
    return c.json(queued, 202);
  });

  app.get('/nodes/:id/exec', adminOnly, async (c) => {
    const queue = d.execQueues.get(nodeOf(c).id);
    return c.json(queue ? await askExec(queue, { type: 'list' }, waiter(c)) : EMPTY_QUEUE);
  });

  app.delete('/nodes/:id/exec', adminOnly, async (c) => {
    const queue = d.execQueues.get(nodeOf(c).id);
    return c.json(queue ? await askExec(queue, { type: 'clear' }, waiter(c)) : { cancelled: 0 });
  });

  // ?wait=N: parked in the queue until the exec finishes (200 at once) or N s pass (202).
  app.get('/nodes/:id/exec/:execId/result', adminOnly, async (c) => {
    const waitMs = readQuery(c, execResultQuery).wait * MS_PER_S;
    const { queue, execId } = queueOf(c);
    const opts = { ...waiter(c), timeoutMs: waitMs + PARK_ASK_MARGIN_MS };
    let r = await whileConnected(c, async (signal) => askExec(queue, { type: 'get_result', id: execId, waitMs, signal }, opts));
    r ??= await askExec(queue, { type: 'get_result', id: execId }, waiter(c));
    if (r === null) throw unknownExec(execId, queue.nodeId); // not reachable: a read without a wait always answers
    return r.finished ? c.json(r.result) : c.json(r.pending, 202);
  });

  app.delete('/nodes/:id/exec/:execId', adminOnly, async (c) => {
    const { queue, execId } = queueOf(c);
    return c.json(await askExec(queue, { type: 'cancel', id: execId, node: nodeFacts(d.fleet, queue.nodeId) }, waiter(c)));
  });

  return app;
}
