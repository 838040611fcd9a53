/**
 * Enrollment (docs/api.md#enrollment-and-registration): issuing single-use enrollment tokens and redeeming them for a node token.
 * The install commands in the reply are built by install-commands.ts.
 */
import { Hono } from 'hono';
import { askNode } from '../actors/node/actor.js';
import { AppError } from '../errors.js';
import { hashToken, newEnrollmentId, newToken } from '../ids.js';
import { readReleaseManifest, releaseDirs } from '../persist/releases.js';
import { apiSession } from './session.js';
import { bearer, classify, clientKey, refuse, requireAdmin, type Credential } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { installCommands } from './install-commands.js';
import { nodeFromPath } from './params.js';
import { enrollmentBody, reenrollBody, registerBody, type ReenrollReply } from '../wire/agent.js';
import { readJson } from './validate.js';

/** An enrollment's lifetime: `ttl_s` when given (at most `enrollment_ttl_s`), else `enrollment_ttl_s`. */
function enrollmentTtl(d: RouteDeps, ttlS: number | undefined): number {
  const maxTtl = d.config.server.enrollment_ttl_s;
  if (ttlS !== undefined && ttlS > maxTtl) throw new AppError('invalid_request', `field \`ttl_s\`: must be at most ${maxTtl} (server.enrollment_ttl_s)`);
  return ttlS ?? maxTtl;
}

export function enrollRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const dirs = releaseDirs(d.home);

  app.post('/enrollments', async (c) => {
    // The enrollment form of the web pages sends the admin session (with its CSRF token) instead of a bearer.
    const shown = bearer(c);
    // A refused session (no CSRF token, another origin) is an anonymous enrollment, like no cookie.
    const session = shown === null && d.auth.sessions ? apiSession(c, d.auth.sessions, d.auth.publicUrl()) : null;
    const cred: Credential = session && !('refused' in session) ? { kind: 'admin', operator: session.operator } : classify(shown, d.auth);
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
    const ttlS = enrollmentTtl(d, body.ttl_s);
    const { node, token } = await d.fleet.enroll({ name: body.name, owner: body.owner, kind: body.kind, os: body.os ?? null, ttlS }, c.get('inflight'));
    const r = node.published;
    c.set('auditNote', { node_id: r.id });
    return c.json(
      {
        enrollment_id: r.enrollment!.id,
        node_id: r.id,
        enrollment_token: token,
        expires_at: r.enrollment!.expires_at,
        install: installCommands(d.config.server, token, { manifest: await readReleaseManifest(dirs), os: body.os ?? null }),
        server_url: d.config.server.public_url,
      },
      201,
    );
  });

  // docs/api.md#re-enrollment: a single-use token for an existing node; redeeming it keeps the node, revokes its old token.
  app.post('/nodes/:id/enrollment', requireAdmin(d.auth), async (c) => {
    const node = nodeFromPath(d.fleet, c);
    const body = await readJson(c, reenrollBody);
    const token = newToken('hce');
    const msg = { type: 'reenroll', enrollmentId: newEnrollmentId(), tokenHash: hashToken(token), ttlS: enrollmentTtl(d, body.ttl_s) } as const;
    const view = await askNode(node, msg, { waiter: c.get('inflight') });
    d.log.info('re-enrollment issued', { node_id: view.id, enrollment_id: view.enrollment_id, ttl_s: msg.ttlS });
    c.set('auditNote', { node_id: view.id, enrollment_id: view.enrollment_id });
    // The machine's own OS as the agent reported it (macOS: no build, its command says so).
    const install = installCommands(d.config.server, token, { manifest: await readReleaseManifest(dirs), os: view.os });
    const reply = { node_id: view.id, enrollment_id: msg.enrollmentId, enrollment_token: token, expires_at: view.enrollment_expires_at!, install };
    return c.json(reply satisfies ReenrollReply, 201);
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
