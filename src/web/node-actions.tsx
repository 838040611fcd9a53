/**
 * The node page's actions (docs/architecture.md#web-pages, docs/api.md#exec), shown after the facts and only those that apply to
 * the node's kind: a node without an exec channel (an iPad) gets no Run, Reprovision, Update or
 * Roles; only a body can be drained. Reprovision, Drain and Delete carry `data-confirm`: the
 * page's script asks before the request is sent. Every form calls the JSON API (see assets.ts).
 */
import type { NodeView } from '../actors/node/record.js';
import { hasExecChannel } from '../wire/constants.js';
import { INTERPRETERS } from '../wire/common.js';
import { InstallCommands } from './enroll.page.js';

/** What the page offers a node of this kind. */
export function actionsFor(kind: NodeView['kind']): { exec: boolean; drain: boolean } {
  return { exec: hasExecChannel(kind), drain: kind === 'body' };
}

/** A one-button form that posts to an API path; `confirm`: asked before it is sent. */
function Action({ api, label, done, cls, confirm }: { api: string; label: string; done: string; cls?: string; confirm?: string }) {
  return (
    <form data-api={api} data-method="POST" data-done={done} data-confirm={confirm} class="inline">
      <button type="submit" class={cls}>{label}</button>
      <span data-out role="status"></span>
    </form>
  );
}

/** docs/api.md#re-enrollment: install commands whose single-use token puts a (re)installed machine back onto this node. */
function Reenroll({ api }: { api: string }) {
  return (
    <section class="card" id="reenroll">
      <h2>Re-enroll</h2>
      <p class="muted">For a machine whose agent or its config is gone (a new disk, a reinstall): its install commands put the agent back onto this node, with its id, roles, place, drain and head pins. Once the machine has redeemed the token, the node's old token stops working.</p>
      <form data-api={`${api}/enrollment`} data-method="POST" data-after="enrollment" data-done="Install commands issued" class="inline">
        <button type="submit" class="secondary">Re-enroll: show install commands</button>
        <span data-out role="status"></span>
      </form>
      <InstallCommands />
    </section>
  );
}

function RunCommand({ n, api }: { n: NodeView; api: string }) {
  return (
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
      <h3>Output</h3>
      <pre id="exec-result" class="muted">Nothing run from this page yet.</pre>
    </section>
  );
}

export function NodeActions({ n, catalog }: { n: NodeView; catalog: Record<string, { description: string }> }) {
  const api = `/api/v1/nodes/${encodeURIComponent(n.id)}`;
  const can = actionsFor(n.kind);
  const who = `${n.name} (${n.id})`;
  return (
    <>
      {can.exec ? <RunCommand n={n} api={api} /> : null}
      <section class="card" id="actions">
        <h2>Actions</h2>
        {can.exec ? (
          <>
            <Action api={`${api}/reprovision`} label="Reprovision" cls="danger" confirm={`Reprovision ${who}? Its roles are reinstalled from scratch; a render node leaves service meanwhile.`} done="Reprovision requested: the agent reinstalls on its next heartbeat" />
            <Action api={`${api}/update-node`} label="Update agent" done="Agent update requested: the agent updates itself to the server's release (see agent_update)" />
            <Action api={`${api}/update-services`} label="Update services" done="Services update requested" />
          </>
        ) : <p class="muted">An iPad has no exec channel: no command, update or reprovision can reach it from here.</p>}
        {can.drain ? (
          <form data-api={`${api}/drain`} data-method="POST" data-done="Saved">
            <label for="drain-reason">Drain reason</label>
            <input id="drain-reason" name="reason" maxlength={256} data-optional value={n.drain_reason ?? ''} />
            <div>
              <button type="submit" name="drain" value="true" data-json class="danger" data-confirm={`Drain ${who}? No new head will be sent to it.`}>Drain</button>
              <button type="submit" name="drain" value="false" data-json class="secondary">Undrain</button>
            </div>
            <p data-out role="status"></p>
          </form>
        ) : null}
        <form data-api={api} data-method="DELETE" data-after="deleted" data-done="Deleted" data-confirm={`Delete ${who}? Its token stops working at once${n.kind === 'body' ? ' and heads pinned to it lose the pin' : ''}.`} class="inline">
          <button type="submit" class="danger">Delete node</button>
          <span data-out role="status"></span>
        </form>
      </section>
      {can.exec ? <Reenroll api={api} /> : null}
      {can.exec ? (
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
      ) : null}
      <section class="card" id="place">
        <h2>Name, owner and place</h2>
        <form data-api={api} data-method="PATCH" data-done="Saved">
          <label for="node-name">Name</label>
          <input id="node-name" name="name" maxlength={128} value={n.name} required />
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
    </>
  );
}
