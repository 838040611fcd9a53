/**
 * Admin sessions of the web pages (docs/architecture.md#web-pages): in memory, bounded, expiring. A session is a random id
 * in an HttpOnly, SameSite=Strict cookie plus a random CSRF token the pages send back on every
 * state change (a form field, or the X-CSRF-Token header for the JSON API); such a request must also
 * come from public_url's origin (origin.ts). Only SHA-256 digests of session ids are kept. A
 * server restart forgets every session (everyone logs in again).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import type { Clock } from '../clock.js';
import { changesOrOpens, crossOriginMessage, foreignOrigin, isSafeMethod } from './origin.js';

export const SESSION_COOKIE = 'hc_session';
/** Sessions last this long from login (no sliding renewal). */
export const SESSION_TTL_S = 12 * 3600;
/** Sessions kept at most (README "Bounds"); past it the oldest is dropped. */
export const MAX_SESSIONS = 1000;
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = '_csrf';

export interface Session {
  /** Who logged in: the operator's name from `operators: {name: token}`; 'admin' for the admin token. */
  operator: string;
  csrf: string;
  /** Monotonic ms. */
  expiresAt: number;
}

const digest = (id: string): string => createHash('sha256').update(id).digest('hex');
export const randomToken = (): string => randomBytes(32).toString('base64url');

export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class SessionStore {
  /** Keyed by the digest of the session id, in order of creation. */
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlS = SESSION_TTL_S,
    private readonly max = MAX_SESSIONS,
  ) {}

  /** A new session; returns the id for the cookie (never stored in the clear). */
  create(operator: string): { id: string; session: Session } {
    this.prune();
    while (this.sessions.size >= this.max) this.sessions.delete(this.sessions.keys().next().value!);
    const id = randomToken();
    const session: Session = { operator, csrf: randomToken(), expiresAt: this.clock.mono() + this.ttlS * 1000 };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  get(id: string | undefined): Session | null {
    if (!id || id.length > 100) return null;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    if (s.expiresAt <= this.clock.mono()) {
      this.sessions.delete(key);
      return null;
    }
    return s;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(digest(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  get maxAgeS(): number {
    return this.ttlS;
  }

  /** Drops expired sessions from the front (they were created first). */
  private prune(): void {
    const now = this.clock.mono();
    for (const [k, s] of this.sessions) {
      if (s.expiresAt > now) break;
      this.sessions.delete(k);
    }
  }
}

/** The session the request's cookie names, if it is valid. */
export const sessionOf = (c: Context, store: SessionStore): Session | null => store.get(getCookie(c, SESSION_COOKIE));

/** A valid session cookie whose request is refused: with its error code and message. */
export interface RefusedSession {
  refused: 'csrf' | 'cross_origin';
  message: string;
}

/**
 * For the admin API with a session cookie instead of a bearer token: the session when it is valid,
 * a request that changes something or opens a session comes from `publicUrl`'s origin (origin.ts),
 * and a state change carries the session's X-CSRF-Token; else why it is refused; null when there
 * is no valid session.
 */
export function apiSession(c: Context, store: SessionStore, publicUrl: string): Session | RefusedSession | null {
  const s = sessionOf(c, store);
  if (!s) return null;
  if (!changesOrOpens(c)) return s;
  const foreign = foreignOrigin(c, publicUrl);
  if (foreign !== null) return { refused: 'cross_origin', message: crossOriginMessage(foreign, publicUrl) };
  if (isSafeMethod(c.req.method)) return s; // an upgrade: a browser cannot add a header to it
  const sent = c.req.header(CSRF_HEADER);
  return sent && sameSecret(sent, s.csrf) ? s : { refused: 'csrf', message: 'a session needs its X-CSRF-Token header for this request' };
}
