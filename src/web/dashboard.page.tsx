/**
 * `/` (admin session): the nodes table with filters by state, kind and district, refreshed by a
 * light poll of its own fragment. Reads the fleet's node actors, like GET /api/v1/nodes.
 */
import { Hono, type MiddlewareHandler } from 'hono';
import { matchesNodeQuery } from '../actors/node/filter.js';
import type { NodeState, NodeView } from '../actors/node/record.js';
import type { RouteDeps } from '../http/deps.js';
import { NODE_KINDS, NODE_STATES } from '../wire/common.js';
import { nodesQuery, type NodesQuery } from '../wire/nodes.js';
import { AgentVersion, releaseVersion } from './agent-version.js';
import { ago, dash, Layout } from './layout.js';
import { page } from './render.js';
import { wantsFragment, type WebEnv } from './web-env.js';
import { ProvisionMark } from './provision-errors.js';

/** Rows shown at most (the page stays small with a large fleet; filters narrow it). */
export const MAX_ROWS = 500;
export const REFRESH_S = 5;

type Filter = NodesQuery;

/** The fleet in one line (over every node, whatever the filters): counts by state, then what needs a look. */
export interface Summary {
  total: number;
  states: Partial<Record<NodeState, number>>;
  stalled: number;
  drained: number;
  carriedOver: number;
  /** Agents reporting another version than the server's release. */
  offRelease: number;
}

/**
 * Read from the records and the fleet's counts, not from a node object per node (a 10,000-node
 * fleet is summarized in a few ms at each refresh). Stalled: as the node object says it (online only).
 */
export function summarize(d: Pick<RouteDeps, 'fleet' | 'execQueues'>, release: string | null): Summary {
  const { total, ...states } = d.fleet.stateCounts();
  const s: Summary = { total, states, stalled: 0, drained: 0, carriedOver: 0, offRelease: 0 };
  for (const id of d.execQueues.stalledIds()) if (d.fleet.get(id)?.stateName() === 'online') s.stalled++;
  for (const n of d.fleet.all()) {
    const r = n.published;
    if (r.drain) s.drained++;
    if (n.carriedOver) s.carriedOver++;
    const v = r.reported.agent_version;
    if (release !== null && v !== null && v !== release) s.offRelease++;
  }
  return s;
}

function SummaryLine({ s, release }: { s: Summary; release: string | null }) {
  const states = NODE_STATES.filter((st) => s.states[st]).map((st) => `${s.states[st]} ${st}`).join(', ');
  const more = [
    `${s.stalled} exec stalled`,
    `${s.drained} drained`,
    release === null ? 'no agent release to compare with' : `${s.offRelease} agent${s.offRelease === 1 ? '' : 's'} not on release ${release}`,
    ...(s.carriedOver > 0 ? [`${s.carriedOver} carried over from before the restart`] : []),
  ];
  return <p id="summary" class={s.stalled + s.carriedOver > 0 ? 'warn' : ''}>{s.total} node{s.total === 1 ? '' : 's'}{states ? `: ${states}` : ''} · {more.join(' · ')}</p>;
}

/** docs/api.md#accountability: online, but its queued execs are not being fetched (the runbook's "results stay pending"). */
export const stalledMark = (n: NodeView): string | null => (n.exec_stalled ? 'exec stalled' : null);

function Marks({ n }: { n: NodeView }) {
  const stalled = stalledMark(n);
  return (
    <>
      {n.drain ? <span class="mark" title={n.drain_reason ?? ''}>drain</span> : null}
      {stalled ? <span class="mark">{stalled}</span> : null}
      {n.carried_over ? <span class="mark" title="restored at the server's start; the node has not reported since">carried over</span> : null}
      {n.agent_update?.state === 'failed' ? <span class="mark" title={n.agent_update.message}>agent update failed</span> : null}
      <ProvisionMark n={n} />
    </>
  );
}

function NodesTable({ rows, total, now, release, summary }: { rows: NodeView[]; total: number; now: number; release: string | null; summary: Summary }) {
  return (
    <>
      <SummaryLine s={summary} release={release} />
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
      if (!matchesNodeQuery(n.published, q)) continue;
      total++;
      if (rows.length < MAX_ROWS) rows.push(n.view());
    }
    const release = await releaseVersion(d.home);
    const table = <NodesTable rows={rows} total={total} now={d.clock.now()} release={release} summary={summarize(d, release)} />;
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
