/**
 * Shell (docs/api.md#shell-sessions): the admin opens a session with a WebSocket upgrade on
 * `/nodes/{id}/shell`; the node's agent learns of it in the `shell/check` long-poll and attaches
 * with its own upgrade on `/body/shell/{sessionId}`. Every refusal (auth, unknown node or session,
 * another node's session, the session limit, a bad query) is an HTTP status before the upgrade.
 * The exec queue is never touched.
 */
import { upgradeWebSocket } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { WebSocket } from 'ws';
import { askShell } from '../actors/shell/session-actor.js';
import { AppError, unwrap } from '../errors.js';
import { CLOSE_POLICY, CLOSE_TRY_AGAIN, shellCheckQuery, shellOpenQuery } from '../wire/shell.js';
import { auditEvent } from './audit.js';
import { requireAdmin, requireNode } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { nodeFromPath } from './params.js';
import { requireExecChannel } from '../actors/node/exec-channel.js';
import { readQuery } from './validate.js';
import { whileConnected } from './exec.routes.js';

const MS_PER_S = 1000;

/** The `ws` socket behind Hono's WebSocket context (the node adapter always gives one). */
function rawSocket(raw: unknown): WebSocket | null {
  return raw instanceof WebSocket ? raw : null;
}

function needUpgrade(c: Context): void {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
    throw new AppError('invalid_request', 'this endpoint is a WebSocket: send Upgrade: websocket');
  }
}

export function shellRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const nodeOnly = requireNode(d.auth);

  app.get('/nodes/:id/shell', adminOnly, (c) => {
    const node = nodeFromPath(d.fleet, c);
    requireExecChannel(node.published); // an iPad runs no shell either
    const q = readQuery(c, shellOpenQuery);
    needUpgrade(c);
    unwrap(d.shells.mayOpen(node.id));
    return upgradeWebSocket(c, {
      onOpen(_evt, ws) {
        const client = rawSocket(ws.raw);
        if (!client) return ws.close(CLOSE_POLICY, 'no socket');
        const opened = d.shells.open(node.id, { cols: q.cols, rows: q.rows, command: q.command ?? null }, client);
        if (opened.ok) {
          d.log.info('shell session opened', { session_id: opened.value.id, node_id: node.id, command_chars: q.command?.length ?? 0 });
          // docs/api.md#accountability: the open and the close are audited under the operator who opened it.
          const sessionId = opened.value.id;
          const audit = (action: string, status: number, detail: Record<string, unknown>) =>
            auditEvent(d.audit, c, d.clock.now(), { action, target: node.id, detail: { session_id: sessionId, ...detail }, status }).catch((e: Error) =>
              d.log.error('audit log write failed', { action, target: node.id, error: e.message }),
            );
          void audit('shell.open', 101, { command: q.command ?? null, cols: q.cols, rows: q.rows });
          client.once('close', () => void audit('shell.close', 200, {}));
          return;
        }
        // Another session took the last place between the check and the upgrade.
        client.send(JSON.stringify({ type: 'error', error: opened.code, message: opened.message }));
        client.close(CLOSE_TRY_AGAIN, opened.code);
      },
    });
  });

  /** `GET /body/shell/check`: the sessions waiting for this node (long-poll). */
  async function check(c: Context<AppEnv>): Promise<Response> {
    const waitMs = readQuery(c, shellCheckQuery).wait * MS_PER_S;
    const sessions = await whileConnected(c, (signal) => d.shells.check(c.get('nodeId'), waitMs, signal));
    return c.json({ sessions });
  }

  // One route for `shell/check` and `shell/{sessionId}`: a static path beside a parameter at the
  // same place makes Hono fall back from its RegExpRouter to the slower TrieRouter for every route.
  app.get('/body/shell/:sessionId', nodeOnly, async (c) => {
    const id = c.req.param('sessionId');
    if (id === 'check') return check(c);
    const session = d.shells.get(id);
    if (!session) throw new AppError('not_found', `no shell session ${JSON.stringify(id.slice(0, 64))}`);
    needUpgrade(c);
    await askShell(session, { type: 'attach', nodeId: c.get('nodeId') }, { waiter: c.get('inflight') });
    return upgradeWebSocket(c, {
      onOpen(_evt, ws) {
        const agent = rawSocket(ws.raw);
        if (!agent) return ws.close(CLOSE_POLICY, 'no socket');
        const taken = session.send({ type: 'agent_socket', socket: agent });
        if (taken instanceof Promise) taken.catch(() => agent.close(CLOSE_POLICY, 'session ended'));
        d.log.info('shell session attached', { session_id: id, node_id: session.nodeId });
      },
    });
  });

  return app;
}
