/**
 * Heads and bodies (docs/api.md#heads-and-eligibility): the head objects, an iPad's self-registration with the fleet
 * enrollment token and the QR payload that carries it, the admin's assignment and experience
 * allow-list, and the eligible bodies of a head. Reads come from what the actors publish; every
 * change is one message to the head's actor.
 */
import { Hono, type Context } from 'hono';
import { askHead, type HeadActor } from '../actors/head/actor.js';
import { toHeadView } from '../actors/head/view.js';
import { registerHead } from '../usecases/head-register.js';
import { assignHead, reportHead } from '../usecases/head-report.js';
import { AppError } from '../errors.js';
import { allowedExperiencesBody, eligibleQuery, headAssignmentBody, headCreateBody, headPutBody, type HeadCreateReply, type HeadView } from '../wire/heads.js';
import { bearer, classify, clientKey, refuse, requireAdmin } from './auth.js';
import type { RouteDeps } from './deps.js';
import type { AppEnv } from './env.js';
import { ensureSelf, headById, headFromPath, requireAdminOrHead } from './head-auth.js';
import { readJson, readQuery } from './validate.js';

/** The head object of `head` now (docs/api.md#heads-and-eligibility), as GET /heads and the /heads page show it. */
export function headViewOf(d: Pick<RouteDeps, 'fleet' | 'config'>, head: HeadActor): HeadView {
  const snap = head.snapshot;
  const node = d.fleet.get(head.nodeId);
  if (!node) throw new AppError('not_found', `no head ${head.nodeId}`);
  const bodyId = snap.assignment?.body_id;
  return toHeadView(snap, node, bodyId === undefined ? undefined : d.fleet.get(bodyId), d.config.server.experience_library_url);
}

/** The iPad enrollment QR's JSON (docs/api.md#heads-and-eligibility GET /enroll-qr): the one place the fleet token is shown, to an admin. */
export function enrollQrPayload(cfg: RouteDeps['config']['server']): { server_url: string; enrollment_token: string } {
  return { server_url: cfg.public_url, enrollment_token: cfg.fleet_enrollment_token };
}

export function headsRoutes(d: RouteDeps): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const adminOnly = requireAdmin(d.auth);
  const adminOrHead = requireAdminOrHead(d.auth);
  const waiter = (c: Context<AppEnv>) => ({ waiter: c.get('inflight') });
  const view = (head: HeadActor): HeadView => headViewOf(d, head);
  const headOf = (c: Context<AppEnv>) => headFromPath(d.heads, d.fleet, c);
  /** The head behind an admin route's `:id`: a body there is 409 `wrong_kind`. */
  const adminHeadOf = (c: Context<AppEnv>) => headById(d.heads, d.fleet, c.req.param('id') ?? '');

  app.get('/heads', adminOnly, (c) => c.json([...d.heads.all()].map(view)));

  app.get('/heads/:id', adminOrHead, (c) => c.json(view(headOf(c))));

  // The head's report; from the head itself also its heartbeat (its node's offline clock restarts).
  app.put('/heads/:id', adminOrHead, async (c) => {
    const head = headOf(c);
    const b = await readJson(c, headPutBody);
    await reportHead(d.fleet, head, { status: b.status, diagnostics: b.diagnostics, streamingBodyId: b.streaming_body_id }, c.get('admin') !== true, waiter(c));
    return c.json(view(head));
  });

  // iPad self-registration: the fleet enrollment token's one right.
  app.post('/heads', async (c) => {
    const cred = classify(bearer(c), d.auth);
    if (cred.kind !== 'fleet') refuse(c, d.auth, cred, 'register a head (the fleet enrollment token does)');
    const key = clientKey(c);
    if (!d.enrollLimiter.hit(key)) {
      c.header('Retry-After', String(d.enrollLimiter.retryAfterS(key)));
      throw new AppError('rate_limited', 'too many head registrations from this address; try again later');
    }
    const b = await readJson(c, headCreateBody);
    const { id, token } = await registerHead(d, b, d.config.server.max_pending_heads, c.get('inflight'));
    c.set('auditNote', { node_id: id });
    return c.json({ head_id: id, token, server_url: d.config.server.public_url } satisfies HeadCreateReply, 201);
  });

  // The QR payload for iPads: the one place the fleet token is shown (to an admin).
  app.get('/enroll-qr', adminOnly, (c) => c.json(enrollQrPayload(d.config.server)));

  app.post('/nodes/:id/head-assignment', adminOnly, async (c) => {
    const head = adminHeadOf(c);
    const b = await readJson(c, headAssignmentBody);
    await assignHead(d, head, b.body_id, b.app_id ?? null, waiter(c));
    d.log.info('head assignment', { node_id: head.nodeId, body_id: b.body_id, app_id: b.app_id ?? null });
    return c.json(view(head));
  });

  app.post('/nodes/:id/allowed-experiences', adminOnly, async (c) => {
    const head = adminHeadOf(c);
    const b = await readJson(c, allowedExperiencesBody);
    await askHead(head, { type: 'allow', experiences: b.experiences }, waiter(c));
    return c.json(view(head));
  });

  // A head asks for itself; an admin names the head.
  app.get('/bodies/eligible', adminOrHead, (c) => {
    const q = readQuery(c, eligibleQuery);
    const admin = c.get('admin') === true;
    if (admin && q.head_id === undefined) throw new AppError('invalid_request', 'query parameter `head_id` is required with the admin token');
    const headId = admin ? q.head_id! : c.get('nodeId');
    ensureSelf(c, headId);
    if (!admin && !d.heads.get(headId)) throw new AppError('forbidden', 'only a head may ask for eligible bodies');
    return c.json(d.heads.eligibleFor(headById(d.heads, d.fleet, headId).nodeId));
  });

  return app;
}
