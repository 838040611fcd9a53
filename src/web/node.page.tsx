/**
 * `/nodes/{id}` (admin session): first the facts — a header with what matters at a glance (state,
 * drain, stalled, carried over, provider, provisioning errors, flags), every field, the
 * provisioning errors and the exec queue with a Cancel button per exec (refreshed every few
 * seconds) — then the actions that apply to the node's kind (./node-actions.tsx), then its audit
 * lines. Reads the node actor's view and asks its exec queue actor for the list, as
 * GET /api/v1/nodes/{id} and GET /api/v1/nodes/{id}/exec do; every button calls the API.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { askExec } from '../actors/exec/queue-actor.js';
import type { ExecQueueView } from '../wire/exec.js';
import type { NodeView } from '../actors/node/record.js';
import type { RouteDeps } from '../http/deps.js';
import { nodeFromPath } from '../http/params.js';
import type { AuditEntry } from '../wire/audit.js';
import { offRelease, releaseVersion, updateLine } from './agent-version.js';
import { ago, dash, Layout } from './layout.js';
import { NodeActions } from './node-actions.js';
import { page } from './render.js';
import { wantsFragment, type WebEnv } from './web-env.js';
import { REFRESH_S, stalledMark } from './dashboard.page.js';
import { ProvisionErrors } from './provision-errors.js';

const EMPTY_QUEUE: ExecQueueView = { depth: 0, oldest_age_s: null, delivered: [], queued: [] };

function Fields({ n, now, release }: { n: NodeView; now: number; release: string | null }) {
  const rows: Array<[string, string]> = [
    ['id', n.id], ['name', n.name], ['kind', n.kind], ['state', n.state], ['owner', dash(n.owner)],
    ['district', dash(n.district)], ['venue', dash(n.venue)], ['roles', n.roles.join(', ') || '—'],
    ['roles applied', n.roles_applied.join(', ') || '—'], ['drain', n.drain ? `yes${n.drain_reason ? ` (${n.drain_reason})` : ''}` : 'no'],
    ['provider_status', dash(n.provider_status)], ['provider_version', dash(n.provider_version)],
    ['agent_version', dash(n.agent_version) + (offRelease(n, release) ? ` (not the server's release ${release}: Update agent)` : '')],
    ['agent_update', updateLine(n) ?? '—'],
    ['hostname', dash(n.hostname)], ['os', dash(n.os)], ['arch', dash(n.arch)], ['lan_ip', dash(n.lan_ip)], ['wg_ip', dash(n.wg_ip)],
    ['last_seen', n.last_seen ? `${ago(n.last_seen, now)} (${n.last_seen})` : 'never'], ['created_at', n.created_at],
    ['flags', Object.entries(n.flags).filter(([, v]) => v).map(([k]) => k).join(', ') || 'none'],
    ['exec_depth', String(n.exec_depth)], ['stalled', stalledMark(n) ?? '—'], ['carried_over', n.carried_over ? 'yes: not heard from since the server restarted' : 'no'],
    ['enrollment_id', dash(n.enrollment_id)], ['enrollment_expires_at', dash(n.enrollment_expires_at)],
  ];
  return (
    <dl class="fields" id="fields">
      {rows.map(([k, v]) => (
        <>
          <dt>{k}</dt>
          <dd data-field={k}>{v}</dd>
        </>
      ))}
      <dt>diagnostics</dt>
      <dd><pre>{JSON.stringify(n.diagnostics, null, 2)}</pre></dd>
    </dl>
  );
}

/** The exec queue, each exec with a Cancel button (DELETE /api/v1/nodes/{id}/exec/{execId}), and Clear. */
function Queue({ q, api }: { q: ExecQueueView; api: string }) {
  const items = [...q.delivered.map((i) => ({ ...i, where: 'delivered' })), ...q.queued.map((i) => ({ ...i, where: 'queued' }))];
  return (
    <div class="scroll" id="exec-queue">
      <p class="muted">{q.depth} in the queue{q.oldest_age_s !== null ? `, oldest ${q.oldest_age_s} s` : ''}</p>
      {items.length > 0 ? (
        <>
          <table>
            <thead><tr><th>Exec</th><th>State</th><th>Interpreter</th><th>Command</th><th>Age</th><th></th></tr></thead>
            <tbody>
              {items.map((i) => (
                <tr data-exec={i.id}>
                  <td><code>{i.id}</code></td><td>{i.where}</td><td>{i.interpreter}</td><td><code>{i.command}{i.command_truncated ? '…' : ''}</code></td><td>{i.age_s} s</td>
                  <td>
                    <form data-api={`${api}/exec/${encodeURIComponent(i.id)}`} data-method="DELETE" data-done="Cancelled" class="inline">
                      <button type="submit" class="secondary">Cancel</button>
                      <span data-out role="status"></span>
                    </form>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <form data-api={`${api}/exec`} data-method="DELETE" data-done="Queue cleared" class="inline" id="queue-clear">
            <button type="submit" class="secondary">Cancel all</button>
            <span data-out role="status"></span>
          </form>
        </>
      ) : null}
    </div>
  );
}

/** What an operator must see first: the state and everything that qualifies it. */
function Glance({ n, now }: { n: NodeView; now: number }) {
  const errors = Object.keys(n.provision_errors);
  const flags = Object.entries(n.flags).filter(([, v]) => v).map(([k]) => k);
  const stalled = stalledMark(n);
  return (
    <div id="glance" class="glance">
      <span class={`badge state-${n.state}${n.drain || stalled || n.carried_over ? ' qualified' : ''}`} data-field="glance-state">{n.state}</span>
      {n.drain ? <span class="mark" data-mark="drain">drained{n.drain_reason ? `: ${n.drain_reason}` : ''}</span> : null}
      {stalled ? <span class="mark" data-mark="stalled">{stalled}: queued execs are not being fetched</span> : null}
      {n.carried_over ? <span class="mark" data-mark="carried-over">carried over: not heard from since the server restarted</span> : null}
      {errors.length > 0 ? <span class="mark" data-mark="provision-errors">provisioning errors: {errors.join(', ')}</span> : null}
      {flags.length > 0 ? <span class="mark" data-mark="flags">waiting for the agent: {flags.join(', ')}</span> : null}
      <span class="muted">provider {dash(n.provider_status)} · agent {dash(n.agent_version)} · last seen {ago(n.last_seen, now)}</span>
    </div>
  );
}

function Live({ n, q, now, release }: { n: NodeView; q: ExecQueueView; now: number; release: string | null }) {
  return (
    <>
      <Glance n={n} now={now} />
      <h2>Exec queue</h2>
      <Queue q={q} api={`/api/v1/nodes/${encodeURIComponent(n.id)}`} />
      <h2>Provisioning errors</h2>
      <ProvisionErrors n={n} />
      <h2>Facts</h2>
      <Fields n={n} now={now} release={release} />
    </>
  );
}

/** The node page shows this node's latest audit lines (all of them: GET /api/v1/audit?node=, `hydracluster audit --node`). */
const AUDIT_LINES = 20;

function AuditLines({ entries }: { entries: AuditEntry[] }) {
  if (entries.length === 0) return <p class="muted">No change recorded for this node.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr><th>Time</th><th>Operator</th><th>Address</th><th>Action</th><th>Status</th><th>Detail</th></tr>
        </thead>
        <tbody>
          {entries.map((e) => (
            <tr>
              <td>{e.time}</td><td>{e.operator ?? '-'}</td><td>{e.address}</td><td>{e.action}</td><td>{String(e.status)}</td>
              <td><code>{typeof e.detail.command === 'string' ? e.detail.command.slice(0, 200) : JSON.stringify(e.detail).slice(0, 200)}</code></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function nodePage(d: RouteDeps, admin: MiddlewareHandler<WebEnv>): Hono<WebEnv> {
  const app = new Hono<WebEnv>();
  app.get('/nodes/:id', admin, async (c) => {
    const node = nodeFromPath(d.fleet, c as unknown as Context);
    const queue = d.execQueues.get(node.id);
    const q = queue ? await askExec(queue, { type: 'list' }, { waiter: c.get('inflight') }) : EMPTY_QUEUE;
    const n = node.view();
    const live = <Live n={n} q={q} now={d.clock.now()} release={await releaseVersion(d.home)} />;
    if (wantsFragment(c.req.header('x-fragment'))) return page(c, live);
    return page(
      c,
      <Layout title={n.name} session={c.get('session')}>
        <h1>{n.name} <span class="muted">{n.kind}</span></h1>
        <section class="card">
          <div id="live" data-refresh={String(REFRESH_S)}>{live}</div>
        </section>
        <NodeActions n={n} catalog={d.config.roles} />
        <section class="card" id="audit">
          <h2>Audit</h2>
          <AuditLines entries={await d.audit.query({ node: node.id, limit: AUDIT_LINES })} />
        </section>
      </Layout>,
    );
  });
  return app;
}
