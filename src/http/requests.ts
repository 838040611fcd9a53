/**
 * The request log (SPEC §10, §11). Every request is logged when it arrives and when it completes,
 * and is listed in the registry (request-registry.ts) with the actor it waits on until it
 * completes: a request that never finishes is visible in both places.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import type { Logger } from '../log.js';
import type { RequestRegistry } from './request-registry.js';

/**
 * Registers the request, logs its arrival and its completion (status, duration), and hands the
 * finished request to `onDone` (the metrics), all in one middleware.
 */
export function requestLog(registry: RequestRegistry, log: Logger, onDone?: (c: Context<AppEnv>, startedAt: number) => void): MiddlewareHandler<AppEnv> {
  return async function requestLogMiddleware(c, next) {
    const r = registry.start(c.req.method, c.req.path);
    c.set('inflight', r);
    // Serialized once for both lines (the id and the method are plain tokens; the path is escaped).
    const members = `"req_id":"${r.id}","method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)}`;
    log.infoRaw('request', members, () => ({ req_id: r.id, method: r.method, path: r.path }));
    try {
      await next();
    } finally {
      registry.end(r);
      const duration_ms = Math.round((performance.now() - r.startedAt) * 10) / 10;
      const status = c.res.status;
      log.infoRaw('response', `${members},"status":${status},"duration_ms":${duration_ms}`, () => ({ req_id: r.id, method: r.method, path: r.path, status, duration_ms }));
      onDone?.(c, r.startedAt);
    }
  };
}
