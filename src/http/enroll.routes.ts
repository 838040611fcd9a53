/**
 * Enrollment (SPEC §5): issuing single-use enrollment tokens and redeeming them for a node token.
 */
import { Hono } from 'hono';
import { askNode } from '../actors/node-actor.js';
import type { Config } from '../config.js';
import { AppError } from '../errors.js';
import { hashToken, newToken } from '../ids.js';
import { psQuote, shQuote } from '../quote.js';
import { apiSession } from '../web/session.js';
import { bearer, classify, clientKey, refuse, type Credential } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { enrollmentBody, registerBody } from './schemas.js';
import { readJson } from './validate.js';

const shq = shQuote;
const psq = psQuote; // every PowerShell quote character doubled, U+2018–U+201B too

/** The install commands shown after enrollment: fetch the agent (when configured), register, start. */
export function installCommands(cfg: Config['server'], token: string): { powershell: string; bash: string } {
  const url = cfg.public_url;
  const win = cfg.agent_downloads.windows;
  const lin = cfg.agent_downloads.linux;
  const powershell = [
    "$ErrorActionPreference = 'Stop'",
    ...(win ? ["New-Item -ItemType Directory -Force C:\\hydranode | Out-Null", `Invoke-WebRequest -Uri ${psq(win)} -OutFile C:\\hydranode\\hydranode.exe`] : []),
    `C:\\hydranode\\hydranode.exe install --server ${psq(url)} --enroll-token ${psq(token)}`,
    'schtasks /Run /TN HydraNode',
  ].join('; ');
  const bash = [
    'set -e',
    ...(lin ? [`curl -fsSL ${shq(lin)} -o /usr/local/bin/hydranode`, 'chmod +x /usr/local/bin/hydranode'] : []),
    `hydranode install --server ${shq(url)} --enroll-token ${shq(token)}`,
    'systemctl enable --now hydranode',
  ].join(' && ');
  return { powershell, bash };
}

export function enrollRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/enrollments', async (c) => {
    // The enrollment form of the web pages sends the admin session (with its CSRF token) instead of a bearer.
    const shown = bearer(c);
    const session = shown === null && d.auth.sessions ? apiSession(c, d.auth.sessions) : null;
    const cred: Credential = session && session !== 'csrf' ? { kind: 'admin', operator: session.operator } : classify(shown, d.auth);
    if (cred.kind === 'admin') c.set('operator', cred.operator);
    else {
      const key = clientKey(c);
      if (!d.enrollLimiter.hit(key)) {
        c.header('Retry-After', String(d.enrollLimiter.retryAfterS(key)));
        throw new AppError('rate_limited', 'too many enrollments from this address; try again later or use the admin token');
      }
      const pending = d.fleet.stateCounts().enrolling;
      if (pending >= d.config.server.max_pending_enrollments) {
        throw new AppError('rate_limited', `${pending} enrollments are waiting to be redeemed (max_pending_enrollments); redeem or delete some, or use the admin token`);
      }
    }
    const body = await readJson(c, enrollmentBody);
    const maxTtl = d.config.server.enrollment_ttl_s;
    if (body.ttl_s !== undefined && body.ttl_s > maxTtl) {
      throw new AppError('invalid_request', `field \`ttl_s\`: must be at most ${maxTtl} (server.enrollment_ttl_s)`);
    }
    const { node, token } = await d.fleet.enroll({ name: body.name, owner: body.owner, kind: body.kind, os: body.os ?? null, ttlS: body.ttl_s }, c.get('inflight'));
    const r = node.record;
    c.set('auditNote', { node_id: r.id });
    return c.json(
      {
        enrollment_id: r.enrollment!.id,
        node_id: r.id,
        enrollment_token: token,
        expires_at: r.enrollment!.expires_at,
        install: installCommands(d.config.server, token),
      },
      201,
    );
  });

  app.post('/register', async (c) => {
    const cred = classify(bearer(c), d.auth);
    if (cred.kind !== 'enrollment') refuse(c, d.auth, cred, 'register a node');
    const body = await readJson(c, registerBody);
    const node = d.fleet.get(cred.nodeId);
    if (!node) throw new AppError('unauthorized', 'the enrollment token is not valid');
    const token = newToken('hcn');
    const view = await askNode(node, { type: 'register', tokenHash: hashToken(token), reported: body }, { waiter: c.get('inflight') });
    d.log.info('node registered', { node_id: view.id, hostname: body.hostname ?? null });
    c.set('auditNote', { node_id: view.id });
    return c.json({ node_id: view.id, token, server_url: d.config.server.public_url, heartbeat_interval_s: d.config.server.heartbeat_interval_s });
  });

  return app;
}
