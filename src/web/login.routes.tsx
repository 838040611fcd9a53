/**
 * /login (one field, `token`), POST /login and POST /logout (docs/architecture.md#web-pages). A wrong token counts against
 * the address like a failed API authentication (the same limiter): past `rate_limit_per_min`, 429.
 * Both forms carry a CSRF token (the login form the one of a short-lived pre-login cookie, the
 * logout form the session's), must come from public_url's origin (http/origin.ts) and are read strictly
 * (form.ts: a malformed body is a 400).
 */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { classify, clientKey } from '../http/auth.js';
import type { RouteDeps } from '../http/deps.js';
import { Layout } from './layout.js';
import { page } from './render.js';
import { readForm } from './form.js';
import { crossOriginMessage, foreignOrigin } from '../http/origin.js';
import { CSRF_FIELD, randomToken, sameSecret, SESSION_COOKIE, sessionOf, type SessionStore } from '../http/session.js';
import type { WebEnv } from './web-env.js';

const LOGIN_COOKIE = 'hc_login';
const LOGIN_COOKIE_MAX_AGE_S = 3600;

const LOCAL_BASE = 'http://next.invalid';
/** A local path: one `/` and then anything but `/` or `\\` (either makes `//host`), or `/` alone. */
const LOCAL_PATH = /^\/(?![/\\])/;
/** Control characters: a browser drops tabs and newlines from a URL (`/\t/evil` is `//evil`); none belongs in a header. */
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * The redirect target after a login: only a local path as the browser reads it, so `/\t/evil`,
 * `/\n/evil`, `/\\evil`, `//evil` and `https://evil` all go to `/` (any control character does:
 * the pages never put one there). The path is sent as the URL parser serializes it (ASCII only,
 * `.` segments resolved: `/.//evil` would become `//evil`, so the result is checked again).
 */
export function safeNext(next: string | undefined): string {
  if (!next || CONTROL.test(next) || !LOCAL_PATH.test(next)) return '/';
  const u = new URL(next, LOCAL_BASE);
  const path = u.pathname + u.search + u.hash;
  return u.origin === LOCAL_BASE && LOCAL_PATH.test(path) ? path : '/';
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
    const f = await readForm(c);
    const next = safeNext(f.next);
    const foreign = foreignOrigin(c, d.config.server.public_url);
    if (foreign !== null) return form(c, next, crossOriginMessage(foreign, d.config.server.public_url), 403);
    const expected = getCookie(c, LOGIN_COOKIE);
    if (!expected || !sameSecret(f[CSRF_FIELD] ?? '', expected)) return form(c, next, 'The form had expired; try again.', 403);
    const token = (f.token ?? '').trim();
    const cred = classify(token === '' ? null : token, d.auth);
    if (cred.kind === 'admin') {
      // docs/api.md#accountability: the session carries the operator's name (`admin` for server.admin_token); the login is audited under it.
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
    const f = await readForm(c);
    const id = getCookie(c, SESSION_COOKIE);
    const s = sessionOf(c, store);
    if (!s) return c.redirect('/login', 303);
    const foreign = foreignOrigin(c, d.config.server.public_url);
    if (foreign !== null || !sameSecret(f[CSRF_FIELD] ?? '', s.csrf)) {
      const why = foreign !== null ? crossOriginMessage(foreign, d.config.server.public_url) : 'the form had expired';
      return page(c, <Layout title="Refused" session={s}><p class="err">Log out refused: {why}.</p></Layout>, 403);
    }
    c.set('operator', s.operator);
    store.end(id);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    d.log.info('web logout', { operator: s.operator });
    return c.redirect('/login', 303);
  });

  return app;
}
