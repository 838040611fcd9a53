/**
 * The web sub-app (docs/architecture.md#web-pages), mounted at / by createApp. Pages are rendered on the server from the
 * same actors and indexes the API reads; every change a page makes is a call from its script to the
 * JSON API under /api/v1 with the session cookie and the X-CSRF-Token header (requireAdmin accepts
 * both), so it goes through the very routes and actor asks the API uses.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { AppError } from '../errors.js';
import type { RouteDeps } from '../http/deps.js';
import { CSS, JS } from './assets.js';
import { debugPage } from './debug.page.js';
import { enrollPage } from './enroll.page.js';
import { headsPage } from './heads.page.js';
import { Layout } from './layout.js';
import { page } from './render.js';
import { loginRoutes } from './login.routes.js';
import { dashboardPage } from './dashboard.page.js';
import { nodePage } from './node.page.js';
import { sessionOf, type SessionStore } from '../http/session.js';
import type { WebEnv } from './web-env.js';

/** Pages that need the admin session: without one, 303 to /login (and back here after it). */
export function needSession(store: SessionStore): MiddlewareHandler<WebEnv> {
  return function needSessionMiddleware(c, next) {
    const s = sessionOf(c, store);
    if (!s) {
      const url = new URL(c.req.url);
      return Promise.resolve(c.redirect(`/login?next=${encodeURIComponent(url.pathname + url.search)}`, 303));
    }
    c.set('session', s);
    return next();
  };
}

export function webRoutes(d: RouteDeps): Hono<WebEnv> {
  const store = d.auth.sessions;
  if (!store) throw new Error('webRoutes needs auth.sessions');
  const app = new Hono<WebEnv>();

  app.get('/static/app.css', (c) => c.body(CSS, 200, { 'Content-Type': 'text/css; charset=utf-8', 'Cache-Control': 'max-age=300' }));
  app.get('/static/app.js', (c) => c.body(JS, 200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'max-age=300' }));

  app.onError((err, c) => {
    if (!(err instanceof AppError)) throw err;
    const session = sessionOf(c, store);
    return page(
      c,
      <Layout title="Error" session={session}>
        <h1>{err.status === 404 ? 'Not found' : err.status === 400 ? 'Bad request' : 'Refused'}</h1>
        <p class="err">{err.message}</p>
      </Layout>,
      err.status as 400,
    );
  });

  const admin = needSession(store);
  app.route('/', loginRoutes(d, store));
  app.route('/', enrollPage(d, store, admin));
  app.route('/', dashboardPage(d, admin));
  app.route('/', nodePage(d, admin));
  app.route('/', headsPage(d, admin));
  app.route('/', debugPage(d, admin));
  return app;
}
