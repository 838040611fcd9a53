/**
 * Requests in flight, and the request log (SPEC §10, §11). Every request is logged when it
 * arrives and when it completes, and is listed with the actor it waits on until it completes:
 * a request that never finishes is visible in both places.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import type { Waiter } from '../actors/kernel/ask.js';
import type { Logger } from '../log.js';

export interface InFlight extends Waiter {
  id: string;
  method: string;
  path: string;
  startedAt: number;
}

export class RequestRegistry {
  // A Set of the records themselves: no string key to hash per request (measured ~3% of a heartbeat).
  private readonly live = new Set<InFlight>();
  private seq = 0;

  start(method: string, path: string): InFlight {
    const r: InFlight = { id: `req-${(++this.seq).toString(36)}`, method, path, startedAt: performance.now(), waitingOn: null, durable: undefined };
    this.live.add(r);
    return r;
  }

  end(r: InFlight): void {
    this.live.delete(r);
  }

  get size(): number {
    return this.live.size;
  }

  list(): Array<{ id: string; method: string; path: string; age_ms: number; waiting_on: string | null }> {
    const now = performance.now();
    return [...this.live].map((r) => ({
      id: r.id,
      method: r.method,
      path: r.path,
      age_ms: Math.round(now - r.startedAt),
      waiting_on: r.waitingOn,
    }));
  }
}

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
