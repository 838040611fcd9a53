/**
 * The request log (docs/api.md#health-and-debugging, docs/operations.md#logs). An operator's request is logged when it arrives and when it
 * completes, and every request is listed in the registry (request-registry.ts) with the actor it
 * waits on until it completes: a request that never finishes is visible in both places. Agent
 * traffic (heartbeats, long-polls, results) is counted, and logged at info only when it is notable
 * (see {@link notableAgentRequest}); at `debug` it has both lines too.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';
import type { Level, Logger } from '../log.js';
import type { InFlight, RequestRegistry } from './request-registry.js';

/** Who sent a request, as the request log tells them apart (./agent-traffic.ts decides). */
export type Traffic = 'operator' | 'agent' | 'heartbeat';

/** An agent request answered slower than this, beyond a long-poll's own `?wait=`, is logged at info. */
export const SLOW_AGENT_REQUEST_MS = 1000;

/**
 * Agent traffic worth a line at info: a failure beyond the expected (5xx; 400, 401, 403, 413: a
 * broken or revoked agent; not an empty long-poll's 204, an ended session's 404 or a throttled
 * client's 429), or slow (beyond its own `?wait=` for a long-poll).
 */
export function notableAgentRequest(c: Context, status: number, ms: number): boolean {
  if (status >= 500 || status === 400 || status === 401 || status === 403 || status === 413) return true;
  if (ms <= SLOW_AGENT_REQUEST_MS) return false;
  const waitS = Number(c.req.query('wait') ?? 0); // read only for a slow request
  return ms > SLOW_AGENT_REQUEST_MS + (Number.isFinite(waitS) ? waitS * 1000 : 0);
}

export interface RequestLogOptions {
  /** Who sent the request; without it every request is an operator's. */
  trafficOf?: (c: Context<AppEnv>) => Traffic;
  /** The finished request, for the metrics. */
  onDone?: (c: Context<AppEnv>, startedAt: number) => void;
}

/**
 * Registers the request, logs its arrival and its completion (status, duration) as its sender
 * calls for, counts it, and hands the finished request to `onDone` (the metrics), all in one
 * middleware: it is the one layer every heartbeat passes, so a quiet request builds no line.
 */
export function requestLog(registry: RequestRegistry, log: Logger, opts: RequestLogOptions = {}): MiddlewareHandler<AppEnv> {
  const { trafficOf, onDone } = opts;
  return async function requestLogMiddleware(c, next) {
    const r = registry.start(c.req.method, c.req.path);
    c.set('inflight', r);
    const traffic = trafficOf ? trafficOf(c) : 'operator';
    const level: Level = traffic === 'operator' ? 'info' : 'debug';
    // Serialized once for both lines (the id and the method are plain tokens; the path is escaped).
    let members: string | null = null;
    if (log.enabled(level)) {
      members = membersOf(r);
      log.raw(level, 'request', members, () => ({ req_id: r.id, method: r.method, path: r.path }));
    }
    try {
      await next();
    } finally {
      registry.end(r);
      registry.answered[traffic]++;
      const ms = performance.now() - r.startedAt;
      const status = c.res.status;
      const done: Level = level === 'debug' && notableAgentRequest(c, status, ms) ? 'info' : level;
      if (log.enabled(done)) {
        const duration_ms = Math.round(ms * 10) / 10;
        log.raw(done, 'response', `${members ?? membersOf(r)},"status":${status},"duration_ms":${duration_ms}`, () => ({ req_id: r.id, method: r.method, path: r.path, status, duration_ms }));
      }
      onDone?.(c, r.startedAt);
    }
  };
}

const membersOf = (r: InFlight): string => `"req_id":"${r.id}","method":${JSON.stringify(r.method)},"path":${JSON.stringify(r.path)}`;
