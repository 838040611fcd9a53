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
  /** The registry's own links: the requests in flight form a list, oldest first. */
  prev: InFlight | null;
  next: InFlight | null;
}

/**
 * The requests in flight, as an intrusive doubly linked list: adding and removing one allocates
 * nothing. (A Set was measured to reallocate its table as requests come and go: ~120 bytes a
 * request that outlived young-generation GCs, most of what a steady heartbeat left in the heap.)
 */
export class RequestRegistry {
  private head: InFlight | null = null;
  private tail: InFlight | null = null;
  private count = 0;
  private seq = 0;

  start(method: string, path: string): InFlight {
    const r: InFlight = { id: `req-${(++this.seq).toString(36)}`, method, path, startedAt: performance.now(), waitingOn: null, durable: undefined, prev: this.tail, next: null };
    if (this.tail) this.tail.next = r;
    else this.head = r;
    this.tail = r;
    this.count++;
    return r;
  }

  /** Removes a request (once; a second call for the same request does nothing). */
  end(r: InFlight): void {
    if (r.prev === null && this.head !== r) return;
    if (r.prev) r.prev.next = r.next;
    else this.head = r.next;
    if (r.next) r.next.prev = r.prev;
    else this.tail = r.prev;
    r.prev = r.next = null;
    this.count--;
  }

  get size(): number {
    return this.count;
  }

  /** Oldest first. */
  list(): Array<{ id: string; method: string; path: string; age_ms: number; waiting_on: string | null }> {
    const now = performance.now();
    const out = [];
    for (let r = this.head; r !== null; r = r.next) {
      out.push({ id: r.id, method: r.method, path: r.path, age_ms: Math.round(now - r.startedAt), waiting_on: r.waitingOn });
    }
    return out;
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
