/**
 * Authentication (docs/api.md#conventions). Four kinds of bearer token: admin, node, fleet enrollment and
 * per-enrollment. Missing or unknown token: 401; a valid token outside its rights: 403. Secrets
 * are compared in constant time; node and enrollment tokens are looked up by their SHA-256.
 * The token is always checked first: a valid token passes whatever its address did before. Only
 * failures count against the address's `rate_limit_per_min` (a missing token where one is needed,
 * an unknown, used or expired one); past the limit those failures get 429 with Retry-After instead
 * of 401. A 403 (a valid token outside its rights) is not a failed authentication.
 */
import { hash, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Fleet, TokenEntry } from '../actors/node/fleet.js';
import { AppError } from '../errors.js';
import type { AppEnv } from './env.js';
import { addressKey, type RateLimiter } from './rate-limit.js';
import { hashToken } from '../ids.js';
import { apiSession, type SessionStore } from './session.js';

export type Credential =
  /** `operator`: whose admin token it is (`admin` for server.admin_token), recorded in the audit log. */
  | { kind: 'admin'; operator: string }
  /** server.metrics_token: GET /metrics only. */
  | { kind: 'metrics' }
  | { kind: 'fleet' }
  | { kind: 'node'; nodeId: string }
  | { kind: 'enrollment'; nodeId: string }
  | { kind: 'none' };

export interface AuthDeps {
  /** SHA-256 digests of the admin and fleet tokens (see {@link tokenDigest}). */
  adminDigest: Buffer;
  fleetDigest: Buffer;
  /** config.yaml `operators`: each name with its token's digest. */
  operators: ReadonlyArray<{ name: string; digest: Buffer }>;
  /** server.metrics_token's digest; null when unset. */
  metricsDigest: Buffer | null;
  fleet: Fleet;
  limiter: RateLimiter;
  /** The web pages' sessions (docs/architecture.md#web-pages): the admin API also accepts their cookie, with CSRF on changes. */
  sessions?: SessionStore;
  /** server.public_url, read when asked (it is set to the served address once listening): the one origin session-cookie changes may come from. */
  publicUrl: () => string;
}

/** SHA-256 of a token as bytes, for the configured secrets compared in constant time. */
export const tokenDigest = (token: string): Buffer => hash('sha256', token, 'buffer');

export function bearer(c: Context): string | null {
  const h = c.req.header('authorization');
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local';
  }
}

/** The key the client is rate-limited under (an IPv6 client by its /64). */
export function clientKey(c: Context): string {
  return addressKey(clientAddress(c));
}

export function classify(token: string | null, deps: AuthDeps): Credential {
  if (token === null) return { kind: 'none' };
  // One digest per request, straight to hex (one-shot crypto.hash: ~0.6 µs, where bytes and then
  // hex took ~2 µs). Node and enrollment tokens, nearly every request, are found by it in the
  // fleet's index; a hit is exact, and the configured secrets are never the same random token.
  const hex = hashToken(token);
  const e: TokenEntry | undefined = deps.fleet.lookupHash(hex);
  if (e) return { kind: e.kind, nodeId: e.nodeId };
  // The rest is compared in constant time with the configured secrets' digests.
  const digest = Buffer.from(hex, 'hex');
  if (timingSafeEqual(digest, deps.adminDigest)) return { kind: 'admin', operator: 'admin' };
  if (timingSafeEqual(digest, deps.fleetDigest)) return { kind: 'fleet' };
  // Every operator is compared (no early exit): the time taken does not tell which one matched.
  let operator: string | null = null;
  for (const o of deps.operators) if (timingSafeEqual(digest, o.digest)) operator = o.name;
  if (operator !== null) return { kind: 'admin', operator };
  if (deps.metricsDigest && timingSafeEqual(digest, deps.metricsDigest)) return { kind: 'metrics' };
  return { kind: 'none' };
}

/** Refuses a request: 403, or 401 counted against the client's limit (429 once past it). */
export function refuse(c: Context, deps: AuthDeps, cred: Credential, what: string): never {
  // An enrollment token is a credential only for POST /register; anywhere else it is unknown.
  const unknown = cred.kind === 'none' || (cred.kind === 'enrollment' && what !== 'register a node');
  if (!unknown) throw new AppError('forbidden', `this token is not allowed to ${what}`);
  const key = clientKey(c);
  if (!deps.limiter.hit(key)) {
    c.header('Retry-After', String(deps.limiter.retryAfterS(key)));
    throw new AppError('rate_limited', 'too many failed authentications from this address; try again later');
  }
  throw new AppError('unauthorized', bearer(c) === null ? 'an Authorization: Bearer token is required' : 'the token is not valid');
}

/**
 * Admin endpoints: the admin token, or (without any bearer) a web session; on a change or an
 * upgrade the session's request must come from public_url's origin (403 `cross_origin`), and a
 * change must carry its CSRF token (403 `forbidden`).
 */
export function requireAdmin(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return function requireAdminMiddleware(c, next) {
    const token = bearer(c);
    if (token === null && deps.sessions) {
      const s = apiSession(c, deps.sessions, deps.publicUrl());
      if (s && 'refused' in s) throw new AppError(s.refused === 'csrf' ? 'forbidden' : 'cross_origin', s.message);
      if (s) {
        c.set('admin', true);
        c.set('operator', s.operator);
        return next();
      }
    }
    const cred = classify(token, deps);
    if (cred.kind !== 'admin') refuse(c, deps, cred, 'use admin endpoints');
    c.set('admin', true);
    c.set('operator', cred.operator);
    return next();
  };
}

/** Agent endpoints: a node token; the node id is set for the handler. */
export function requireNode(deps: AuthDeps): MiddlewareHandler<AppEnv> {
  return function requireNodeMiddleware(c, next) {
    authenticateNode(c, deps);
    return next();
  };
}

/**
 * The same check called from a handler (the heartbeat: one middleware layer less on the hottest
 * route): the node id of the request's node token, also set on the context; else refused.
 */
export function authenticateNode(c: Context<AppEnv>, deps: AuthDeps): string {
  const cred = classify(bearer(c), deps);
  if (cred.kind !== 'node') refuse(c, deps, cred, 'use agent endpoints');
  c.set('nodeId', cred.nodeId);
  return cred.nodeId;
}
