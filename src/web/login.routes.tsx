/**
 * /login (one field, `token`), POST /login and POST /logout (SPEC §14). A wrong token counts against
 * the address like a failed API authentication (the same limiter): past `rate_limit_per_min`, 429.
 * Both forms carry a CSRF token: the login form the one of a short-lived pre-login cookie, the
 * logout form the session's.
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { classify, clientKey } from '../http/auth.js';
import type { RouteDeps } from '../http/deps.js';
import { Layout } from './layout.js';
import { page } from './render.js';
import { CSRF_FIELD, randomToken, sameSecret, SESSION_COOKIE, sessionOf, type SessionStore } from './session.js';
import type { WebEnv } from './web-env.js';

const LOGIN_COOKIE = 'hc_login';
const LOGIN_COOKIE_MAX_AGE_S = 3600;

/** Only a local path may be a redirect target (no `//host`, no scheme). */
export function safeNext(next: string | undefined): string {
  return next && /^\/(?![/\\])/.test(next) ? next : '/';
}

/** True when a browser says the request came from another site (Origin or Sec-Fetch-Site). */
export function crossSite(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = c.req.header('origin');
  return origin !== undefined && origin !== new URL(c.req.url).origin;
}

export function cookieOptions(d: RouteDeps, maxAge: number) {
  return { httpOnly: true, sameSite: 'Strict', path: '/', maxAge, secure: d.config.server.public_url.startsWith('https:') } as const;
}

function LoginForm(props: { csrf: string; next: string; error?: string }) {
  return (
    <Layout title="Log in" session={null}>
      <h1>Log in</h1>
      <div class="card">
        <form method="post" action="/login">
          <input type="hidden" name="_csrf" value={props.csrf} />
          <input type="hidden" name="next" value={props.next} />
          <label for="token">Token</label>
          <input id="token" name="token" type="password" autocomplete="current-password" required />
          <div>
            <button type="submit">Log in</button>
          </div>
          {props.error ? <p class="err" role="alert">{props.error}</p> : null}
        </form>
      </div>
    </Layout>
  );
}

export function loginRoutes(d: RouteDeps, store: SessionStore): Hono<WebEnv> {
  const app = new Hono<WebEnv>();

  const form = (c: Context, next: string, error?: string, status = 200) => {
    const csrf = getCookie(c, LOGIN_COOKIE) ?? randomToken();
    setCookie(c, LOGIN_COOKIE, csrf, cookieOptions(d, LOGIN_COOKIE_MAX_AGE_S));
    return page(c, <LoginForm csrf={csrf} next={next} error={error} />, status);
  };

  app.get('/login', (c) => {
    if (sessionOf(c, store)) return c.redirect(safeNext(c.req.query('next')), 303);
    return form(c, safeNext(c.req.query('next')));
  });

  app.post('/login', async (c) => {
    const f = await c.req.parseBody();
    const next = safeNext(typeof f.next === 'string' ? f.next : undefined);
    const sent = typeof f[CSRF_FIELD] === 'string' ? f[CSRF_FIELD] : '';
    const expected = getCookie(c, LOGIN_COOKIE);
    if (crossSite(c) || !expected || !sameSecret(sent, expected)) return form(c, next, 'The form had expired or came from another site; try again.', 403);
    const token = typeof f.token === 'string' ? f.token.trim() : '';
    const cred = classify(token === '' ? null : token, d.auth);
    if (cred.kind === 'admin') {
      // SPEC §15: the session carries the operator's name (`admin` for server.admin_token); the login is audited under it.
      c.set('operator', cred.operator);
      const { id } = store.create(cred.operator);
      setCookie(c, SESSION_COOKIE, id, cookieOptions(d, store.maxAgeS));
      deleteCookie(c, LOGIN_COOKIE, { path: '/' });
      d.log.info('web login', { operator: cred.operator });
      return c.redirect(next, 303);
    }
    if (cred.kind !== 'none' && cred.kind !== 'enrollment') return form(c, next, 'This token cannot log in to the admin pages.', 403);
    const key = clientKey(c);
    if (!d.auth.limiter.hit(key)) {
      c.header('Retry-After', String(d.auth.limiter.retryAfterS(key)));
      return form(c, next, 'Too many failed logins from this address; try again later.', 429);
    }
    return form(c, next, 'The token is not valid.', 401);
  });

  app.post('/logout', async (c) => {
    const id = getCookie(c, SESSION_COOKIE);
    const s = sessionOf(c, store);
    if (!s) return c.redirect('/login', 303);
    const f = await c.req.parseBody();
    const sent = typeof f[CSRF_FIELD] === 'string' ? f[CSRF_FIELD] : '';
    if (crossSite(c) || !sameSecret(sent, s.csrf)) {
      return page(c, <Layout title="Refused" session={s}><p class="err">Log out refused: the form came from another site or had expired.</p></Layout>, 403);
    }
    c.set('operator', s.operator);
    store.end(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    d.log.info('web logout', { operator: s.operator });
    return c.redirect('/login', 303);
  });

  return app;
}
