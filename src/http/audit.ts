/**
 * The audit trail (docs/api.md#accountability): one middleware records every request that changes something, in one
 * place, once its outcome is known: who (operator), from where, what (action and route template),
 * on which node, with what (the validated body, secrets left out, plus what the handler noted,
 * e.g. an exec id), and the status answered. The line is on disk before the response leaves: a
 * 2xx is never sent for a change the audit log does not hold.
 *
 * Not recorded: reads (GET/HEAD), the agents' own endpoints (`/body/...`: heartbeats, exec polls
 * and results; a head's own `PUT /heads/{id}`), requests that matched no route, and anonymous
 * requests refused as rate-limited.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import { matchedRoutes } from 'hono/route';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { AuditSink } from '../persist/audit-log.js';
import type { AuditEntry } from '../wire/audit.js';
import { clientAddress } from './auth.js';
import type { AppEnv } from './env.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The agents' endpoints: node-token traffic, not operators' changes. */
const AGENT_PREFIX = '/api/v1/body/';
/** Strings in a detail are cut here (a command of up to max_body_bytes is kept this far). */
export const AUDIT_MAX_STRING = 64 * 1024;
/** Arrays in a detail keep this many items (a fleet exec's targets). */
export const AUDIT_MAX_ITEMS = 1000;
const MAX_DEPTH = 4;
/** Keys never written to the audit log, at any depth. */
const SECRET_KEY = /token|hash|secret|password|key$/i;

/** Names for the known changes; any other route is recorded as `<METHOD> <route template>`. */
const ACTIONS: Record<string, string> = {
  'POST /api/v1/enrollments': 'enrollment.create',
  'POST /api/v1/register': 'node.register',
  'POST /api/v1/nodes/:id/enrollment': 'node.reenroll',
  'PATCH /api/v1/nodes/:id': 'node.update',
  'DELETE /api/v1/nodes/:id': 'node.delete',
  'POST /api/v1/nodes/:id/roles': 'node.roles',
  'POST /api/v1/nodes/:id/update-node': 'node.flag.update_node',
  'POST /api/v1/nodes/:id/update-services': 'node.flag.update_services',
  'POST /api/v1/nodes/:id/reprovision': 'node.reprovision',
  'POST /api/v1/nodes/:id/drain': 'node.drain',
  'POST /api/v1/nodes/:id/exec': 'exec.submit',
  'DELETE /api/v1/nodes/:id/exec': 'exec.clear',
  'DELETE /api/v1/nodes/:id/exec/:execId': 'exec.cancel',
  'DELETE /api/v1/execs/:execId': 'exec.cancel',
  'POST /api/v1/exec': 'exec.fleet',
  'POST /api/v1/heads': 'head.register',
  'PUT /api/v1/heads/:id': 'head.update',
  'POST /api/v1/nodes/:id/head-assignment': 'head.assign',
  'POST /api/v1/nodes/:id/allowed-experiences': 'head.experiences',
  'GET /api/v1/nodes/:id/shell': 'shell.open',
  'POST /api/v1/config/reload': 'config.reload',
  'POST /api/v1/backups': 'backup.create',
  'POST /login': 'login',
  'POST /logout': 'logout',
};


/**
 * `GET /api/v1/nodes/{id}/shell` opens a shell session (a WebSocket upgrade). Its refusals are
 * recorded here; an open that goes through is recorded by the shell route itself (with its session
 * id) once the socket is open.
 */
const isShellOpen = (path: string): boolean => path.endsWith('/shell') && path.startsWith('/api/v1/nodes/');

/** The route template that answered (`/api/v1/nodes/:id`), or null when no route matched. */
export function routeTemplate(c: Context): string | null {
  const last = matchedRoutes(c).at(-1);
  return last && last.method !== 'ALL' ? last.path : null;
}

/** A copy of `v` fit for the audit log: no secret-looking key, bounded strings, arrays and depth. */
export function scrub(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') return v.length > AUDIT_MAX_STRING ? `${v.slice(0, AUDIT_MAX_STRING)}…[${v.length - AUDIT_MAX_STRING} more characters]` : v;
  if (v === null || typeof v !== 'object') return v;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(v)) {
    const kept = v.slice(0, AUDIT_MAX_ITEMS).map((x) => scrub(x, depth + 1));
    return v.length > AUDIT_MAX_ITEMS ? [...kept, `…[${v.length - AUDIT_MAX_ITEMS} more]`] : kept;
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) if (!SECRET_KEY.test(k)) out[k] = scrub(x, depth + 1);
  return out;
}

/** The audit line of a finished request. */
export function auditEntryOf(c: Context<AppEnv>, template: string, nowMs: number): AuditEntry {
  const method = c.req.method;
  const note = c.get('auditNote') ?? {};
  // A shell open has no body: what it asked for is in its query (command, cols, rows).
  const body = c.get('body') ?? (method === 'GET' ? c.req.query() : undefined);
  // The handler's note is bounded like the body (a fleet exec notes every node it reached: the
  // first AUDIT_MAX_ITEMS of 10,000 ids, not a 300 KB line).
  const detail = { ...(body && typeof body === 'object' && !Array.isArray(body) ? (scrub(body) as Record<string, unknown>) : {}), ...(scrub(note) as Record<string, unknown>) };
  const param = template.includes(':id') ? c.req.param('id') : undefined;
  const target = param ?? (typeof note.node_id === 'string' ? note.node_id : null);
  return {
    time: new Date(nowMs).toISOString(),
    operator: c.get('operator') ?? null,
    address: clientAddress(c),
    action: ACTIONS[`${method} ${template}`] ?? `${method} ${template}`,
    target: target === null ? null : target.slice(0, 128),
    detail,
    status: c.res.status,
  };
}

/**
 * Records each change once it is answered; the response waits for the line's fsync.
 *
 * Group commit with nodes.yaml: while the request runs, a change an actor decides is handed back
 * with its write still under way (`Waiter.durable`, see actors/kernel/ask.ts), so the audit line
 * is written while nodes.yaml is — one fsync round, not two in a row. The response waits for both.
 * If the nodes.yaml write then fails (the actor has rolled the change back), the answer becomes
 * that failure (503 `persist_failed`) and a second line records it with `not_durable`: the first
 * line's 2xx was never sent.
 */
export function auditTrail(sink: AuditSink, clock: Clock, log: Logger): MiddlewareHandler<AppEnv> {
  // Not async: reads and agent traffic (the hot path) pass with no extra promise.
  return function auditMiddleware(c, next) {
    const method = c.req.method;
    const path = c.req.path;
    if (MUTATING.has(method) ? path.startsWith(AGENT_PREFIX) : !(method === 'GET' && isShellOpen(path))) return next();
    return recordChange(c, next);
  };

  /** The line for this request, or null when it is not recorded (see the file's comment). */
  function lineOf(c: Context<AppEnv>): AuditEntry | null {
    const template = routeTemplate(c);
    if (template === null) return null;
    if (c.req.method === 'GET' && c.res.status < 400) return null; // a shell open that went through: see isShellOpen
    // A node acting for itself (a head's own report) is agent traffic, like heartbeats.
    if (c.get('nodeId') !== undefined && c.get('operator') === undefined) return null;
    // Throttled anonymous attempts are not recorded: they could otherwise flush real history out
    // through rotation. The 401s before the throttle are (at most rate_limit_per_min a minute each).
    if (c.res.status === 429 && c.get('operator') === undefined) return null;
    return auditEntryOf(c, template, clock.now());
  }

  async function recordChange(c: Context<AppEnv>, next: () => Promise<void>): Promise<void> {
    // Each write settles to null or its error (never rejects: nobody may see it unhandled).
    const writes: Array<Promise<AppError | null>> = [];
    const inflight = c.get('inflight');
    inflight.durable = (w) => void writes.push(w.then(() => null, asAppError));
    try {
      await next();
    } finally {
      inflight.durable = undefined;
    }
    const entry = lineOf(c);
    const line = entry === null ? null : sink.append(entry).then(() => null, (e: unknown) => e as Error);
    const failed = (await Promise.all(writes)).find((e) => e !== null) ?? null;
    const lineFailed = line === null ? null : await line;
    if (entry !== null && lineFailed !== null) logFailure(entry, lineFailed);
    if (failed) {
      c.res = c.json({ error: failed.code, message: failed.message }, failed.status as 503);
      if (entry !== null && entry.status < 400 && lineFailed === null) {
        const correction = { ...entry, status: failed.status, detail: { ...entry.detail, not_durable: `${failed.code}: ${failed.message}` } };
        await sink.append(correction).catch((e: unknown) => logFailure(correction, e));
      }
      return;
    }
    if (entry !== null && lineFailed !== null && entry.status < 400) {
      // The change itself was made (and is durable); what failed is its record. No 2xx without it.
      c.res = c.json({ error: 'persist_failed', message: `the change was made but the audit log could not be written: ${lineFailed.message}` }, 503);
    }
  }

  function logFailure(entry: AuditEntry, e: unknown): void {
    log.error('audit log write failed', { action: entry.action, target: entry.target, status: entry.status, error: (e as Error).message });
  }
}

function asAppError(e: unknown): AppError {
  return e instanceof AppError ? e : new AppError('persist_failed', (e as Error).message);
}

/**
 * For a change that is not a mutating request of its own (a shell session opened over a WebSocket
 * upgrade, and its close): one audit line with the caller's operator and address, on disk when
 * the promise resolves.
 */
export function auditEvent(sink: AuditSink, c: Context<AppEnv>, nowMs: number, e: { action: string; target: string | null; detail?: Record<string, unknown>; status: number }): Promise<void> {
  const detail = (scrub(e.detail ?? {}) as Record<string, unknown>) ?? {};
  return sink.append({ time: new Date(nowMs).toISOString(), operator: c.get('operator') ?? null, address: clientAddress(c), action: e.action, target: e.target, detail, status: e.status });
}
