/**
 * `/` (admin session): the nodes table with filters by state, kind and district, refreshed by a
 * light poll of its own fragment. Reads the fleet's node actors, like GET /api/v1/nodes.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { isHeadKind } from '../wire/constants.js';
import type { NodeActor } from '../actors/node/actor.js';
import type { NodeView } from '../actors/node/record.js';
import type { RouteDeps } from '../http/deps.js';
import { NODE_KINDS, NODE_STATES } from '../wire/common.js';
import { nodesQuery } from '../wire/nodes.js';
import { AgentVersion, releaseVersion } from './agent-version.js';
import { ago, dash, Layout } from './layout.js';
import { page } from './render.js';
import { wantsFragment, type WebEnv } from './web-env.js';
import { ProvisionMark } from './provision-errors.js';

/** Rows shown at most (the page stays small with a large fleet; filters narrow it). */
export const MAX_ROWS = 500;
export const REFRESH_S = 5;

type Filter = { kind?: string; state?: string; district?: string };

/** The same filter as GET /api/v1/nodes (`kind=head` means every head kind). */
export function matches(n: NodeActor, q: Filter): boolean {
  const r = n.record;
  if (q.kind && (q.kind === 'head' ? !isHeadKind(r.kind) : r.kind !== q.kind)) return false;
  if (q.state && n.stateName() !== q.state) return false;
  return !(q.district !== undefined && r.district !== q.district);
}

/** SPEC §15: online, but its queued execs are not being fetched (the runbook's "results stay pending"). */
export const stalledMark = (n: NodeView): string | null => (n.exec_stalled ? 'exec stalled' : null);

function Marks({ n }: { n: NodeView }) {
  const stalled = stalledMark(n);
  return (
    <>
      {n.drain ? <span class="mark" title={n.drain_reason ?? ''}>drain</span> : null}
      {stalled ? <span class="mark">{stalled}</span> : null}
      {n.agent_update?.state === 'failed' ? <span class="mark" title={n.agent_update.message}>agent update failed</span> : null}
      <ProvisionMark n={n} />
    </>
  );
}

function NodesTable({ rows, total, now, release }: { rows: NodeView[]; total: number; now: number; release: string | null }) {
  return (
    <>
      <p class="muted">
        {rows.length === total ? `${total} node${total === 1 ? '' : 's'}` : `showing ${rows.length} of ${total} nodes`}
      </p>
      <div class="scroll">
        <table id="nodes">
          <thead>
            <tr>
              <th>Name</th><th>Kind</th><th>State</th><th>Roles</th><th>Provider</th><th>Agent</th><th>Last seen</th><th>District / venue</th><th>Exec</th><th>Marks</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((n) => (
              <tr data-node={n.id}>
                <td><a href={`/nodes/${encodeURIComponent(n.id)}`}>{n.name}</a></td>
                <td>{n.kind}</td>
                <td class={`state-${n.state}`}>{n.state}</td>
                <td>{n.roles.join(', ') || '—'}</td>
                <td>{dash(n.provider_status)}</td>
                <td><AgentVersion n={n} release={release} /></td>
                <td title={n.last_seen ?? ''}>{ago(n.last_seen, now)}</td>
                <td>{dash([n.district, n.venue].filter(Boolean).join(' / '))}</td>
                <td>{n.exec_depth}</td>
                <td><Marks n={n} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Filters({ q }: { q: Filter }) {
  return (
    <form class="filters card" method="get" action="/">
      <div>
        <label for="f-state">State</label>
        <select id="f-state" name="state">
          <option value="">any</option>
          {NODE_STATES.map((s) => <option value={s} selected={q.state === s}>{s}</option>)}
        </select>
      </div>
      <div>
        <label for="f-kind">Kind</label>
        <select id="f-kind" name="kind">
          <option value="">any</option>
          {[...NODE_KINDS, 'head'].map((k) => <option value={k} selected={q.kind === k}>{k === 'head' ? 'any head' : k}</option>)}
        </select>
      </div>
      <div>
        <label for="f-district">District</label>
        <input id="f-district" name="district" value={q.district ?? ''} maxlength={64} />
      </div>
      <button type="submit">Filter</button>
    </form>
  );
}

export function dashboardPage(d: RouteDeps, admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/', admin, async (c) => {
    // Empty form fields mean "any".
    const raw = Object.fromEntries(Object.entries(c.req.query()).filter(([k, v]) => v !== '' && ['kind', 'state', 'district'].includes(k)));
    const parsed = nodesQuery.safeParse(raw);
    const q: Filter = parsed.success ? parsed.data : {};
    const rows: NodeView[] = [];
    let total = 0;
    for (const n of d.fleet.all()) {
      if (!matches(n, q)) continue;
      total++;
      if (rows.length < MAX_ROWS) rows.push(n.view());
    }
    const table = <NodesTable rows={rows} total={total} now={d.clock.now()} release={await releaseVersion(d.home)} />;
    if (wantsFragment(c.req.header('x-fragment'))) return page(c, table);
    return page(
      c,
      <Layout title="Nodes" session={c.get('session')}>
        <h1>Nodes</h1>
        <Filters q={q} />
        {parsed.success ? null : <p class="err">Filter ignored: {parsed.error.issues[0]?.path.join('.')}: {parsed.error.issues[0]?.message}</p>}
        <div id="live" data-refresh={String(REFRESH_S)}>{table}</div>
      </Layout>,
    );
  });
  return app;
}
