/**
 * Where a cookie-authenticated request comes from (docs/architecture.md#web-pages). SameSite=Strict stops other sites,
 * not another port of the same host or a sibling subdomain (the same "site"), so every
 * session-cookie request that changes something or opens a session (a WebSocket upgrade) must come
 * from `public_url`'s own origin, whatever CSRF token it carries:
 * - `Sec-Fetch-Site`, where sent, is `same-origin` or `none`;
 * - `Origin` is present and names `public_url`'s origin. Browsers send it on every POST, PUT,
 *   PATCH, DELETE and WebSocket upgrade, so a missing one is refused too (only a non-browser
 *   client replaying a cookie omits it, and it can use a bearer token instead).
 * Origins are compared normalized (scheme://host[:port]: default port, case and any path or
 * trailing slash of `public_url` do not matter).
 */
import type { Context } from 'hono';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const isSafeMethod = (method: string): boolean => SAFE_METHODS.has(method.toUpperCase());

/** `scheme://host[:port]` of a URL, normalized; null for anything without an origin (`null`, junk). */
export function originOf(url: string): string | null {
  try {
    const o = new URL(url).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** True for what needs the origin check: a state change (any method but GET/HEAD/OPTIONS) or an upgrade. */
export const changesOrOpens = (c: Context): boolean => !isSafeMethod(c.req.method) || c.req.header('upgrade') !== undefined;

const SHOWN_CHARS = 100;

/** Why the request does not come from `publicUrl`'s origin, or null when it does. */
export function foreignOrigin(c: Context, publicUrl: string): string | null {
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `the browser says it is ${JSON.stringify(site.slice(0, SHOWN_CHARS))} (Sec-Fetch-Site)`;
  const origin = c.req.header('origin');
  if (origin === undefined) return 'it has no Origin header';
  const expected = originOf(publicUrl);
  if (expected === null || originOf(origin) !== expected) return `its Origin ${JSON.stringify(origin.slice(0, SHOWN_CHARS))} is not ${expected ?? publicUrl}`;
  return null;
}

/** The message of a refused cross-origin request: what came, and where the dashboard is used. */
export const crossOriginMessage = (why: string, publicUrl: string): string =>
  `refused: a session-cookie request that changes something must come from the dashboard at server.public_url (${originOf(publicUrl) ?? publicUrl}); ${why}`;
