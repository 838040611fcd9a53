/**
 * createApiApp(): the API half of the HTTP application (createApp in src/app.ts mounts the web
 * pages on it). Installs the request log, the body limit, one error handler and the routes under
 * /api/v1, /metrics and /downloads.
 */
import { Hono } from 'hono';
import { AppError } from '../errors.js';
import { agentRoutes } from './agent.routes.js';
import { agentTraffic } from './agent-traffic.js';
import { auditTrail } from './audit.js';
import { auditRoutes } from './audit.routes.js';
import { limitBody } from './body-limit.js';
import { Metrics, metricsRoutes } from './metrics.js';
import { tokenDigest, type AuthDeps } from './auth.js';
import type { Config } from '../config.js';
import type { AppDeps, RouteDeps } from './deps.js';
import { downloadsRoutes } from './downloads.routes.js';
import { enrollRoutes } from './enroll.routes.js';
import { backupRoutes } from './backup.routes.js';
import { batchRoutes } from './batch.routes.js';
import { configRoutes } from './config.routes.js';
import { execRoutes } from './exec.routes.js';
import { execControlRoutes } from './exec-control.routes.js';
import { headExecRoutes } from './head-exec.routes.js';
import { headsRoutes } from './heads.routes.js';
import type { AppEnv } from './env.js';
import { nodesRoutes } from './nodes.routes.js';
import { openApiRoutes } from './openapi.routes.js';
import { RateLimiter } from './rate-limit.js';
import { requestLog } from './requests.js';
import { shellRoutes } from './shell.routes.js';
import { systemRoutes } from './system.routes.js';
import { SessionStore } from './session.js';

/** The configured secrets as the digests auth compares in constant time. */
function secretDigests(config: Config): Pick<AuthDeps, 'adminDigest' | 'fleetDigest' | 'operators' | 'metricsDigest'> {
  const s = config.server;
  return {
    adminDigest: tokenDigest(s.admin_token),
    fleetDigest: tokenDigest(s.fleet_enrollment_token),
    operators: Object.entries(config.operators).map(([name, token]) => ({ name, digest: tokenDigest(token) })),
    metricsDigest: s.metrics_token === '' ? null : tokenDigest(s.metrics_token),
  };
}

export interface ApiApp {
  app: Hono<AppEnv>;
  /** What the routes were given (the web pages get the same). */
  routeDeps: RouteDeps;
  /** From now on every new request gets 503 `shutting_down`. */
  beginShutdown(): void;
}

export function createApiApp(deps: AppDeps): ApiApp {
  const cfg = deps.config.server;
  let shuttingDown = false;
  const limiter = new RateLimiter(cfg.rate_limit_per_min, deps.clock);
  const enrollLimiter = new RateLimiter(cfg.rate_limit_per_min, deps.clock);
  const d: RouteDeps = {
    ...deps,
    get config() {
      return deps.live.current;
    },
    auth: { ...secretDigests(deps.config), fleet: deps.fleet, limiter, sessions: new SessionStore(deps.clock), publicUrl: () => deps.live.current.server.public_url },
    enrollLimiter,
  };
  // A reload swaps the secrets (admin, operators, fleet and metrics tokens) and the rate in one turn.
  deps.live.subscribe((next) => {
    Object.assign(d.auth, secretDigests(next));
    limiter.setLimit(next.server.rate_limit_per_min);
    enrollLimiter.setLimit(next.server.rate_limit_per_min);
  });

  const app = new Hono<AppEnv>();
  // docs/api.md#accountability: measured first, so a request's duration covers all of its handling.
  const metrics = cfg.metrics_enabled ? new Metrics(deps) : null;
  // One middleware logs, lists and measures every request (each layer costs a heartbeat ~1 µs).
  // Agent traffic is logged at info only when notable (docs/operations.md#logs): its arrival is told apart by path.
  app.use(requestLog(deps.requests, deps.log, { trafficOf: agentTraffic(d.auth), onDone: metrics ? (c, t0) => metrics.observe(c, t0) : undefined }));
  // An exec result carries two output streams of up to max_output_bytes each, plus JSON escaping.
  const limit = limitBody((c) => {
    const s = d.config.server;
    return c.req.path === '/api/v1/body/exec/result' ? s.max_body_bytes + 2 * s.exec.max_output_bytes : s.max_body_bytes;
  });
  const audit = auditTrail(deps.audit, deps.clock, deps.log);
  // Shutdown, body limit, then the audit trail, as one layer: each middleware layer costs every
  // heartbeat an async dispatch (~0.3 µs measured). Not async: it returns next()'s promise
  // instead of awaiting it (one promise less per request).
  app.use(function gate(c, next) {
    if (shuttingDown) {
      c.header('Connection', 'close');
      throw new AppError('shutting_down', 'the server is shutting down; retry in a few seconds');
    }
    return limit(c, () => audit(c, next) as Promise<void>);
  });

  app.onError((err, c) => {
    if (err instanceof AppError) return c.json({ error: err.code, message: err.message }, err.status as 400);
    const reqId = c.get('inflight')?.id;
    deps.log.error('unhandled error', { req_id: reqId, path: c.req.path, error: err.message, stack: err.stack });
    return c.json({ error: 'internal', message: `internal error (request ${reqId}); the server log has the details` }, 500);
  });
  app.notFound((c) => c.json({ error: 'not_found', message: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.route('/api/v1', systemRoutes(d));
  app.route('/api/v1', enrollRoutes(d));
  app.route('/api/v1', agentRoutes(d));
  app.route('/api/v1', nodesRoutes(d));
  app.route('/api/v1', execRoutes(d));
  app.route('/api/v1', execControlRoutes(d));
  app.route('/api/v1', headsRoutes(d));
  app.route('/api/v1', headExecRoutes(d));
  app.route('/api/v1', batchRoutes(d));
  app.route('/api/v1', shellRoutes(d));
  app.route('/api/v1', auditRoutes(d));
  app.route('/api/v1', configRoutes(d));
  app.route('/api/v1', openApiRoutes(d));
  app.route('/api/v1', backupRoutes(d));
  if (metrics) app.route('/', metricsRoutes(metrics, d.auth));
  app.route('/', downloadsRoutes(d));

  return { app, routeDeps: d, beginShutdown: () => void (shuttingDown = true) };
}
