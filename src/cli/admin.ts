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
/** The operator said no: nothing was sent. */
const EXIT_DECLINED = 1;

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

/** The re-enrollment's install commands, for the operator to run on the machine (docs/api.md#re-enrollment). */
function reenrollText(id: string, body: unknown): string {
  const r = body as { enrollment_token?: string; expires_at?: string; install?: { powershell?: string; bash?: string } };
  if (!r?.install?.powershell || !r.install.bash) throw new CliError(EX_SOFTWARE, 'the server answered in an unexpected shape (install)');
  return (
    `Re-enrollment of ${id}: the token in these commands works once, until ${r.expires_at}; redeeming it keeps the node\n` +
    `(id, roles, place, drain, head pins) and stops its old token.\n\n` +
    `Windows (PowerShell, as Administrator):\n${r.install.powershell}\n\nLinux (bash, as root):\n${r.install.bash}\n`
  );
}

/** Asks the operator before a destructive change, when there is a terminal to ask on; false: leave it. */
export type Confirm = (question: string) => Promise<boolean>;

/** `nodes rm` and `nodes reprovision`: say what is about to happen to which node, and ask (unless --yes or no terminal). */
async function confirmed(c: { id: string; yes?: boolean }, what: string, api: Api, confirm: Confirm | undefined): Promise<boolean> {
  if (c.yes || confirm === undefined) return true;
  const n = (await api.call('GET', `/nodes/${seg(c.id)}`)).body as { name?: unknown; kind?: unknown; state?: unknown } | null;
  const label = printable(`${c.id} (${String(n?.name ?? '?')}, ${String(n?.kind ?? '?')}, ${String(n?.state ?? '?')})`);
  return confirm(`${what.replace('%s', label)} [y/N] `);
}

const CONFIRM_TEXT = {
  rm: 'Delete node %s? Its token stops working at once and heads pinned to it lose the pin.',
  reprovision: 'Reprovision node %s? Its roles are reinstalled from scratch (a render node leaves service meanwhile).',
} as const;

async function nodes(c: Extract<ClientCommand, { cmd: 'nodes' }>, api: Api, out: Out, confirm?: Confirm): Promise<number> {
  if (c.action === 'list') {
    const { listNodes } = await import('./nodes-list.js');
    return listNodes(c.filters, c.json, api, out, table);
  }
  const path = `/nodes/${seg(c.id)}`;
  if ((c.action === 'rm' || c.action === 'reprovision') && !(await confirmed(c, CONFIRM_TEXT[c.action], api, confirm))) {
    out.write(`nothing done: ${c.action} of ${c.id} not confirmed\n`);
    return EXIT_DECLINED;
  }
  let r;
  switch (c.action) {
    case 'show':
      r = await api.call('GET', path);
      break;
    case 'roles':
      r = await api.call('POST', `${path}/roles`, { roles: c.roles });
      break;
    case 'set':
      r = await api.call('PATCH', path, c.changes);
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

/** `hydracluster backup`: the server writes the file on its own host; its path, size and SHA-256. */
async function backup(c: Extract<ClientCommand, { cmd: 'backup' }>, api: Api, out: Out): Promise<number> {
  const r = await api.call('POST', '/backups', c.out === undefined ? {} : { out: c.out });
  if (c.json) {
    out.write(json(r.body));
    return 0;
  }
  const { backupReply } = await import('../wire/backup.js');
  const v = shaped(backupReply, r.body);
  out.write(`backup written on the server: ${v.path}\nsize: ${v.size} bytes\nsha256: ${v.sha256}\n`);
  return 0;
}

/** Runs one of the admin commands; the exit code (failures are thrown as CliError). `confirm`: a terminal to ask on. */
export function runAdmin(c: Exclude<ClientCommand, { cmd: 'exec' | 'fleet-exec' | 'audit' | 'enroll' | 'cancel' | 'result' }>, api: Api, out: Out, confirm?: Confirm): Promise<number> {
  switch (c.cmd) {
    case 'nodes':
      return nodes(c, api, out, confirm);
    case 'queue':
      return queue(c, api, out);
    case 'debug':
      return debug(c, api, out);
    case 'reload':
      return reload(c, api, out);
    case 'backup':
      return backup(c, api, out);
  }
}
