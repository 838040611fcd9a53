/**
 * `/nodes/{id}` (admin session): every field of the node, the Reprovision / Update agent / Update
 * services / Drain buttons, Re-enroll (its install commands), the roles editor from the RoleCatalog,
 * district/venue/owner editing, the exec box and the node's exec queue. Reads the node actor's view and asks its exec queue actor for
 * the list, as GET /api/v1/nodes/{id} and GET /api/v1/nodes/{id}/exec do; every button is a call to
 * those same API routes from the page's script.
 */
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { askExec } from '../actors/exec/queue-actor.js';
import type { ExecQueueView } from '../wire/exec.js';
import type { NodeView } from '../actors/node/record.js';
import type { RouteDeps } from '../http/deps.js';
import { nodeFromPath } from '../http/params.js';
import { INTERPRETERS } from '../wire/common.js';
import type { AuditEntry } from '../wire/audit.js';
import { offRelease, releaseVersion, updateLine } from './agent-version.js';
import { Command } from './enroll.page.js';
import { ago, dash, Layout } from './layout.js';
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
    ['exec_depth', String(n.exec_depth)], ['stalled', stalledMark(n) ?? '—'],
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

function Queue({ q }: { q: ExecQueueView }) {
  const items = [...q.delivered.map((i) => ({ ...i, where: 'delivered' })), ...q.queued.map((i) => ({ ...i, where: 'queued' }))];
  return (
    <div class="scroll" id="exec-queue">
      <p class="muted">{q.depth} in the queue{q.oldest_age_s !== null ? `, oldest ${q.oldest_age_s} s` : ''}</p>
      {items.length > 0 ? (
        <table>
          <thead><tr><th>Exec</th><th>State</th><th>Interpreter</th><th>Command</th><th>Age</th></tr></thead>
          <tbody>
            {items.map((i) => (
              <tr><td><code>{i.id}</code></td><td>{i.where}</td><td>{i.interpreter}</td><td><code>{i.command}{i.command_truncated ? '…' : ''}</code></td><td>{i.age_s} s</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}

function Live({ n, q, now, release }: { n: NodeView; q: ExecQueueView; now: number; release: string | null }) {
  return (
    <>
      <Fields n={n} now={now} release={release} />
      <h2>Provisioning errors</h2>
      <ProvisionErrors n={n} />
      <h2>Exec queue</h2>
      <Queue q={q} />
    </>
  );
}

/** A one-button form that posts `body` (JSON) to an API path. */
function Action({ api, label, done, cls }: { api: string; label: string; done: string; cls?: string }) {
  return (
    <form data-api={api} data-method="POST" data-done={done} class="inline">
      <button type="submit" class={cls}>{label}</button>
      <span data-out role="status"></span>
    </form>
  );
}

/** SPEC §16.3: install commands whose single-use token puts a (re)installed machine back onto this node. */
function Reenroll({ api }: { api: string }) {
  return (
    <section class="card" id="reenroll">
      <h2>Re-enroll</h2>
      <p class="muted">For a machine whose agent or its config is gone (a new disk, a reinstall): its install commands put the agent back onto this node, with its id, roles, place, drain and head pins. Once the machine has redeemed the token, the node's old token stops working.</p>
      <form data-api={`${api}/enrollment`} data-method="POST" data-after="enrollment" data-done="Install commands issued" class="inline">
        <button type="submit" class="secondary">Re-enroll: show install commands</button>
        <span data-out role="status"></span>
      </form>
      <div id="install" hidden>
        <p>Node <code id="node-id"></code>. The token in these commands works once and expires at <strong id="expires"></strong>.</p>
        <Command id="cmd-powershell" label="Windows (PowerShell, as Administrator)" />
        <Command id="cmd-bash" label="Linux (bash, as root)" />
      </div>
    </section>
  );
}

function Editors({ n, catalog }: { n: NodeView; catalog: Record<string, { description: string }> }) {
  const api = `/api/v1/nodes/${encodeURIComponent(n.id)}`;
  return (
    <>
      <section class="card" id="actions">
        <h2>Actions</h2>
        <Action api={`${api}/reprovision`} label="Reprovision" done="Reprovision requested: the agent reinstalls on its next heartbeat" />
        <Action api={`${api}/update-node`} label="Update agent" done="Agent update requested: the agent updates itself to the server's release (see agent_update)" />
        <Action api={`${api}/update-services`} label="Update services" done="Services update requested" />
        <form data-api={`${api}/drain`} data-method="POST" data-done="Saved">
          <label for="drain-reason">Drain reason</label>
          <input id="drain-reason" name="reason" maxlength={256} data-optional value={n.drain_reason ?? ''} />
          <div>
            <button type="submit" name="drain" value="true" data-json class="danger">Drain</button>
            <button type="submit" name="drain" value="false" data-json class="secondary">Undrain</button>
          </div>
          <p data-out role="status"></p>
        </form>
      </section>
      {n.kind === 'ipad' ? null : <Reenroll api={api} />}
      <section class="card" id="roles">
        <h2>Roles</h2>
        <form data-api={`${api}/roles`} data-method="POST" data-done="Roles saved">
          {Object.entries(catalog).map(([name, role]) => (
            <label class="check">
              <input type="checkbox" name="roles" value={name} data-list checked={n.roles.includes(name)} /> <code>{name}</code>{' '}
              <span class="muted">{role.description}</span>
            </label>
          ))}
          {Object.keys(catalog).length === 0 ? <p class="muted">The RoleCatalog is empty.</p> : null}
          <button type="submit">Save roles</button>
          <p data-out role="status"></p>
        </form>
      </section>
      <section class="card" id="place">
        <h2>Owner and place</h2>
        <form data-api={api} data-method="PATCH" data-done="Saved">
          <label for="owner">Owner</label>
          <input id="owner" name="owner" maxlength={128} value={n.owner} />
          <label for="district">District</label>
          <input id="district" name="district" maxlength={64} value={n.district} />
          <label for="venue">Venue</label>
          <input id="venue" name="venue" maxlength={64} value={n.venue} />
          <div><button type="submit">Save</button></div>
          <p data-out role="status"></p>
        </form>
      </section>
      <section class="card" id="exec">
        <h2>Run a command</h2>
        <form data-api={`${api}/exec`} data-method="POST" data-after="exec" data-done="Submitted">
          <label for="command">Command</label>
          <textarea id="command" name="command" required></textarea>
          <label for="interpreter">Interpreter</label>
          <select id="interpreter" name="interpreter">
            {INTERPRETERS.map((i) => <option value={i} selected={i === (n.os === 'windows' ? 'powershell' : 'bash')}>{i}</option>)}
          </select>
          <label for="timeout">Timeout (s)</label>
          <input id="timeout" name="timeout_s" type="number" min={1} value="60" class="short" />
          <div><button type="submit">Run</button></div>
          <p data-out role="status"></p>
        </form>
        <pre id="exec-result" hidden></pre>
      </section>
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
        <h1>{n.name} <span class={`state-${n.state}`}>{n.state}</span></h1>
        <Editors n={n} catalog={d.config.roles} />
        <section class="card">
          <div id="live" data-refresh={String(REFRESH_S)}>{live}</div>
        </section>
        <section class="card" id="audit">
          <h2>Audit</h2>
          <AuditLines entries={await d.audit.query({ node: node.id, limit: AUDIT_LINES })} />
        </section>
      </Layout>,
    );
  });
  return app;
}
