/**
 * `/heads` (admin session): every head's status, node_status, assigned body, diagnostics and a
 * link to its screenshot — the same head objects GET /api/v1/heads answers (headViewOf).
 */
import { Hono, type MiddlewareHandler } from 'hono';
import type { RouteDeps } from '../http/deps.js';
import { headViewOf } from '../http/heads.routes.js';
import type { HeadView } from '../wire/heads.js';
import { ago, dash, Layout } from './layout.js';
import { page } from './render.js';
import type { WebEnv } from './web-env.js';

/** Heads shown at most. */
export const MAX_HEADS = 500;

const diag = (d: HeadView['diagnostics']): string =>
  d ? Object.entries(d).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ') : '—';

export function headsPage(d: RouteDeps, admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/heads', admin, (c) => {
    const heads: HeadView[] = [];
    for (const h of d.heads.all()) {
      if (heads.length >= MAX_HEADS) break;
      heads.push(headViewOf(d, h));
    }
    const now = d.clock.now();
    return page(
      c,
      <Layout title="Heads" session={c.get('session')}>
        <h1>Heads</h1>
        <p class="muted">{`${heads.length} head${heads.length === 1 ? '' : 's'}`}</p>
        <div class="scroll">
          <table id="heads">
            <thead>
              <tr><th>Name</th><th>Kind</th><th>Status</th><th>Node</th><th>Last seen</th><th>Assigned body</th><th>District / venue</th><th>Diagnostics</th><th>Screenshot</th></tr>
            </thead>
            <tbody>
              {heads.map((h) => (
                <tr data-head={h.id}>
                  <td><a href={`/nodes/${encodeURIComponent(h.id)}`}>{h.name}</a></td>
                  <td>{h.kind}</td>
                  <td>{h.status}</td>
                  <td class={`state-${h.node_status}`}>{h.node_status}</td>
                  <td title={h.last_seen ?? ''}>{ago(h.last_seen, now)}</td>
                  <td>{dash(h.assigned_body_name)}</td>
                  <td>{dash([h.district, h.venue].filter(Boolean).join(' / '))}</td>
                  <td class="wrap">{diag(h.diagnostics)}</td>
                  <td><a href={`/api/v1/heads/${encodeURIComponent(h.id)}/screenshot`}>screenshot</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Layout>,
    );
  });
  return app;
}
