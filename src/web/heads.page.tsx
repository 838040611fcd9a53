/**
 * `/heads` (admin session). TODO([heads]): status, node_status, assigned body, diagnostics and the
 * screenshot link from the head actors (GET /api/v1/heads) once they are merged. Until then the page
 * says so instead of showing anything made up.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { Layout } from './layout.js';
import { page } from './render.js';
import type { WebEnv } from './web-env.js';

export function headsPage(admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/heads', admin, (c) =>
    page(
      c,
      <Layout title="Heads" session={c.get('session')}>
        <h1>Heads</h1>
        <div class="card todo" id="heads-todo">
          <p>Heads are not available in this build yet.</p>
        </div>
      </Layout>,
    ),
  );
  return app;
}
