/**
 * `hydracluster nodes`, `queue` and `debug`: one admin request each, printed for a terminal
 * (a table, a short line) or, with `--json` and for debug, as the server's JSON. Replies are read
 * with the wire contract's schemas (src/wire), loaded while the request is on the wire.
 */
import type { z } from 'zod';
import type { ClientCommand } from './args.js';
import { seg, type Api } from './client.js';
import { CliError } from './errors.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import { EX_SOFTWARE } from '../sysexits.js';

const json = (v: unknown): string => printableJson(v);

/** Starts loading a wire module while the request is on the wire; it is awaited to read the reply. */
function early<T>(loading: Promise<T>): Promise<T> {
  loading.catch(() => {}); // a request that fails first must not leave it unhandled
  return loading;
}

function shaped<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new CliError(EX_SOFTWARE, `the server answered in an unexpected shape (${r.error.issues[0]?.path.join('.') || 'body'})`);
  return r.data;
}

/** Left-aligned columns, two spaces apart; every cell printable (the server's text, escaped). */
export function table(cells: string[][]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n') + '\n';
}

/** The version of the server's agent release (`GET /downloads/manifest.json`), or null when it has none. */
function releaseVersion(api: Api): Promise<string | null> {
  return api.call('GET', '/downloads/manifest.json', undefined, { root: true }).then(
    (r) => {
      const v: unknown = (r.body as { version?: unknown } | null)?.version;
      return typeof v === 'string' ? v : null;
    },
    () => null,
  );
}

/** A node's agent version, marked `*` when it is not the server's release; and a failed self-update. */
function agentCell(n: { agent_version: string | null; agent_update: { state: string } | null }, release: string | null): string {
  const v = n.agent_version ?? '-';
  const mark = release !== null && n.agent_version !== null && n.agent_version !== release ? '*' : '';
  return v + mark + (n.agent_update?.state === 'failed' ? ' (update failed)' : '');
}

/** The re-enrollment's install commands, for the operator to run on the machine (SPEC §16.3). */
function reenrollText(id: string, body: unknown): string {
  const r = body as { enrollment_token?: string; expires_at?: string; install?: { powershell?: string; bash?: string } };
  if (!r?.install?.powershell || !r.install.bash) throw new CliError(EX_SOFTWARE, 'the server answered in an unexpected shape (install)');
  return (
    `Re-enrollment of ${id}: the token in these commands works once, until ${r.expires_at}; redeeming it keeps the node\n` +
    `(id, roles, place, drain, head pins) and stops its old token.\n\n` +
    `Windows (PowerShell, as Administrator):\n${r.install.powershell}\n\nLinux (bash, as root):\n${r.install.bash}\n`
  );
}

async function nodes(c: Extract<ClientCommand, { cmd: 'nodes' }>, api: Api, out: Out): Promise<number> {
  if (c.action === 'list') {
    const wire = c.json ? null : early(import('../wire/nodes.js'));
    const [r, release] = await Promise.all([api.call('GET', '/nodes'), wire ? releaseVersion(api) : null]);
    if (!wire) {
      out.write(json(r.body));
      return 0;
    }
    const { nodeView } = await wire;
    const list = shaped(nodeView.array(), r.body);
    const rows = list.map((n) => [
      n.id, n.name, n.kind, n.state + (n.drain ? ' (drained)' : ''), agentCell(n, release), String(n.exec_depth) + (n.exec_stalled ? ' STALLED' : ''), n.last_seen ?? '-',
    ]);
    out.write(table([['ID', 'NAME', 'KIND', 'STATE', 'AGENT', 'EXEC', 'LAST SEEN'], ...rows]));
    if (rows.some((row) => row[4]!.includes('*'))) out.write(`* not the server's agent release ${release}: hydracluster nodes update-node ID\n`);
    return 0;
  }
  const path = `/nodes/${seg(c.id)}`;
  let r;
  switch (c.action) {
    case 'show':
      r = await api.call('GET', path);
      break;
    case 'roles':
      r = await api.call('POST', `${path}/roles`, { roles: c.roles });
      break;
    case 'drain':
    case 'undrain':
      r = await api.call('POST', `${path}/drain`, { drain: c.action === 'drain', reason: c.reason });
      break;
    case 'update-node':
    case 'update-services':
    case 'reprovision':
      r = await api.call('POST', `${path}/${c.action}`);
      out.write(c.json ? json(r.body) : `${c.action} requested for ${c.id}\n`);
      return 0;
    case 'reenroll':
      r = await api.call('POST', `${path}/enrollment`);
      out.write(c.json ? json(r.body) : reenrollText(c.id, r.body));
      return 0;
    case 'rm':
      await api.call('DELETE', path);
      out.write(c.json ? json({ deleted: c.id }) : `deleted ${c.id}\n`);
      return 0;
  }
  out.write(json(r.body));
  return 0;
}

async function queue(c: Extract<ClientCommand, { cmd: 'queue' }>, api: Api, out: Out): Promise<number> {
  const path = `/nodes/${seg(c.nodeId)}/exec`;
  const wire = early(import('../wire/exec.js'));
  if (c.action === 'clear') {
    const r = await api.call('DELETE', path);
    const { cancelled: n, delivered = 0 } = shaped((await wire).execCancelAllReply, r.body);
    const running = delivered > 0 ? ` (${delivered} running: the node was told to stop ${delivered === 1 ? 'it' : 'them'})` : '';
    out.write(c.json ? json(r.body) : `cancelled ${n} exec${n === 1 ? '' : 's'}${running}\n`);
    return 0;
  }
  const r = await api.call('GET', path);
  if (c.json) {
    out.write(json(r.body));
    return 0;
  }
  const v = shaped((await wire).execQueueView, r.body);
  out.write(`depth ${v.depth}${v.oldest_age_s === null ? '' : `, oldest ${v.oldest_age_s} s`}\n`);
  const rows = [
    ...v.delivered.map((e) => [e.id, 'delivered', `${e.age_s}s`, e.command.split('\n')[0]!]),
    ...v.queued.map((e, i) => [e.id, `queued #${i}`, `${e.age_s}s`, e.command.split('\n')[0]!]),
  ];
  if (rows.length > 0) out.write(table([['ID', 'STATE', 'AGE', 'COMMAND'], ...rows]));
  return 0;
}

async function debug(c: Extract<ClientCommand, { cmd: 'debug' }>, api: Api, out: Out): Promise<number> {
  const path = c.action === 'actor' ? `/debug/actors/${seg(c.id)}` : `/debug/${c.action}`;
  out.write(json((await api.call('GET', path)).body));
  return 0;
}

/** `hydracluster reload`: the server re-reads its config.yaml; says what changed and what waits for a restart. */
async function reload(c: Extract<ClientCommand, { cmd: 'reload' }>, api: Api, out: Out): Promise<number> {
  const r = await api.call('POST', '/config/reload');
  if (c.json) {
    out.write(json(r.body));
    return 0;
  }
  const { configReloadReply } = await import('../wire/config.js');
  const v = shaped(configReloadReply, r.body);
  if (v.applied.length === 0 && v.restart_required.length === 0) out.write('config.yaml reloaded: nothing changed\n');
  if (v.applied.length > 0) out.write(`config.yaml reloaded; applied: ${v.applied.join(', ')}\n`);
  if (v.restart_required.length > 0) out.write(`takes effect at the next restart: ${v.restart_required.join(', ')}\n`);
  return 0;
}

/** Runs one of the admin commands; the exit code (failures are thrown as CliError). */
export function runAdmin(c: Exclude<ClientCommand, { cmd: 'exec' | 'fleet-exec' | 'audit' | 'cancel' | 'result' }>, api: Api, out: Out): Promise<number> {
  switch (c.cmd) {
    case 'nodes':
      return nodes(c, api, out);
    case 'queue':
      return queue(c, api, out);
    case 'debug':
      return debug(c, api, out);
    case 'reload':
      return reload(c, api, out);
  }
}
