/**
 * `/debug` (admin session): the actors table and the requests in flight, from the same ActorSystem
 * and RequestRegistry as GET /api/v1/debug/actors and /debug/requests (never a token or a hash).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { RouteDeps } from '../http/deps.js';
import { Layout } from './layout.js';
import { page } from './render.js';
import { wantsFragment, type WebEnv } from './web-env.js';

/** Actors listed at most; the total is shown. */
const MAX_ACTORS = 500;

export function debugPage(d: RouteDeps, admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/debug', admin, (c) => {
    const { total, actors } = d.system.list({ limit: MAX_ACTORS });
    const requests = d.requests.list();
    const cols = actors.length > 0 ? Object.keys(actors[0]!) : [];
    const live = (
      <>
        <h2>Actors ({total})</h2>
        <div class="scroll">
          <table id="actors">
            <thead><tr>{cols.map((k) => <th>{k}</th>)}</tr></thead>
            <tbody>
              {actors.map((a) => (
                <tr>{cols.map((k) => <td>{fmt((a as unknown as Record<string, unknown>)[k])}</td>)}</tr>
              ))}
            </tbody>
          </table>
        </div>
        <h2>Requests in flight ({requests.length})</h2>
        <div class="scroll"><pre id="requests">{JSON.stringify(requests, null, 2)}</pre></div>
      </>
    );
    if (wantsFragment(c.req.header('x-fragment'))) return page(c, live);
    return page(
      c,
      <Layout title="Debug" session={c.get('session')}>
        <h1>Debug</h1>
        <div id="live" data-refresh="5">{live}</div>
      </Layout>,
    );
  });
  return app;
}

const fmt = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
