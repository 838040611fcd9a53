/**
 * `hydracluster nodes list [--state S] [--kind K] [--role R] [--district D] [--venue V]`: the
 * filters are query parameters of `GET /nodes`, applied by the server (docs/api.md#exec); the table has
 * what an operator reads a fleet by: state, roles, place, provider, agent version (marked `*` off
 * the server's release), exec depth (STALLED), flags, last seen.
 */
import type { NodeListFilters } from './args.js';
import type { Api } from './client.js';
import { CliError } from './errors.js';
import { EX_SOFTWARE } from '../sysexits.js';
import type { Out } from './output.js';
import { printableJson } from './printable.js';
import type { NodeView } from '../wire/nodes.js';

/** The version of the server's agent release (`GET /downloads/manifest.json`), or null when it has none. */
export function releaseVersion(api: Api): Promise<string | null> {
  return api.call('GET', '/downloads/manifest.json', undefined, { root: true }).then(
    (r) => {
      const v: unknown = (r.body as { version?: unknown } | null)?.version;
      return typeof v === 'string' ? v : null;
    },
    () => null,
  );
}

/** A node's agent version, marked `*` when it is not the server's release; and a failed self-update. */
function agentCell(n: NodeView, release: string | null): string {
  const v = n.agent_version ?? '-';
  const mark = release !== null && n.agent_version !== null && n.agent_version !== release ? '*' : '';
  return v + mark + (n.agent_update?.state === 'failed' ? ' (update failed)' : '');
}

/** What sits beside the state: drain, carried over from before a restart, provisioning errors, flags not yet acknowledged. */
export function flagsCell(n: NodeView): string {
  const marks: string[] = [];
  if (n.drain) marks.push('drained');
  if (n.carried_over) marks.push('carried_over');
  if (Object.keys(n.provision_errors).length > 0) marks.push('provision_error');
  for (const [flag, set] of Object.entries(n.flags)) if (set) marks.push(flag);
  return marks.join(',') || '-';
}

/** The query string of the filters given (`?state=online&role=render-node`), '' for none. */
export function listQuery(f: NodeListFilters): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

export async function listNodes(filters: NodeListFilters, json: boolean, api: Api, out: Out, table: (cells: string[][]) => string): Promise<number> {
  const path = `/nodes${listQuery(filters)}`;
  if (json) {
    out.write(printableJson((await api.call('GET', path)).body));
    return 0;
  }
  const wire = import('../wire/nodes.js');
  wire.catch(() => {});
  const [r, release] = await Promise.all([api.call('GET', path), releaseVersion(api)]);
  const { nodeView } = await wire;
  const parsed = nodeView.array().safeParse(r.body);
  if (!parsed.success) throw new CliError(EX_SOFTWARE, `the server answered in an unexpected shape (${parsed.error.issues[0]?.path.join('.') || 'body'})`);
  const rows = parsed.data.map((n) => [
    n.id, n.name, n.kind, n.state, n.roles.join(',') || '-', `${n.district || '-'}/${n.venue || '-'}`, n.provider_status ?? '-',
    agentCell(n, release), String(n.exec_depth) + (n.exec_stalled ? ' STALLED' : ''), flagsCell(n), n.last_seen ?? '-',
  ]);
  out.write(table([['ID', 'NAME', 'KIND', 'STATE', 'ROLES', 'DISTRICT/VENUE', 'PROVIDER', 'AGENT', 'EXEC', 'FLAGS', 'LAST SEEN'], ...rows]));
  if (rows.some((row) => row[7]!.includes('*'))) out.write(`* not the server's agent release ${release}: hydracluster nodes update-node ID\n`);
  if (rows.length === 0 && listQuery(filters) !== '') out.write('(no node matches the filters)\n');
  return 0;
}
