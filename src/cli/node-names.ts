/**
 * Every node argument of the CLI takes a node id or a unique node name (docs/api.md#exec): an id
 * (`node-<ULID>`) is used as it is; anything else is looked up with `GET /nodes?name=` — one
 * round trip, only then. No node by that name: 66; several: 64, listing them so the operator can
 * pick an id. Read without zod (`exec <name>` stays as light as `exec <id>`).
 */
import type { ClientCommand } from './args.js';
import { CliError, type Api } from './client.js';
import { EX_NOINPUT, EX_SOFTWARE, EX_USAGE } from '../sysexits.js';
import { NODE_ID_PATTERN } from '../wire/constants.js';

interface Candidate {
  id: string;
  kind: string;
  state: string;
  district: string;
  venue: string;
  last_seen: string | null;
}

/** Candidates listed at most for an ambiguous name. */
const MAX_LISTED = 20;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

function candidates(body: unknown): Candidate[] {
  if (!Array.isArray(body)) throw new CliError(EX_SOFTWARE, 'the server answered the node list in an unexpected shape');
  return body.map((n: Record<string, unknown>) => {
    if (typeof n?.id !== 'string') throw new CliError(EX_SOFTWARE, 'the server answered the node list in an unexpected shape (id)');
    return { id: n.id, kind: str(n.kind), state: str(n.state), district: str(n.district), venue: str(n.venue), last_seen: typeof n.last_seen === 'string' ? n.last_seen : null };
  });
}

/** The id of the node `arg` names: itself when it is an id, else the one node with that name. */
export async function resolveNode(api: Api, arg: string): Promise<string> {
  if (NODE_ID_PATTERN.test(arg)) return arg;
  const found = candidates((await api.call('GET', `/nodes?name=${encodeURIComponent(arg)}`)).body);
  if (found.length === 1) return found[0]!.id;
  if (found.length === 0) throw new CliError(EX_NOINPUT, `no node ${JSON.stringify(arg)}: not a node id, and no node has that name`);
  const lines = found.slice(0, MAX_LISTED).map((n) => `${n.id}  ${n.kind}  ${n.state}  ${n.district || '-'}/${n.venue || '-'}  last seen ${n.last_seen ?? 'never'}`);
  if (found.length > MAX_LISTED) lines.push(`… and ${found.length - MAX_LISTED} more (hydracluster nodes list --json)`);
  throw new CliError(EX_USAGE, `${found.length} nodes are named ${JSON.stringify(arg)}; give one of their ids:`, lines);
}

/** The command with each node argument turned into an id (exec ids and the rest stay as given). */
export async function withNodeIds<C extends ClientCommand>(c: C, api: Api): Promise<C> {
  switch (c.cmd) {
    case 'exec':
    case 'queue':
      return { ...c, nodeId: await resolveNode(api, c.nodeId) };
    case 'nodes':
      return 'id' in c ? { ...c, id: await resolveNode(api, c.id) } : c;
    case 'audit':
      return c.node === undefined ? c : { ...c, node: await resolveNode(api, c.node) };
    case 'fleet-exec': {
      const ids = c.target.ids;
      if (ids === undefined || ids.every((id) => NODE_ID_PATTERN.test(id))) return c;
      const resolved: string[] = [];
      for (const id of ids) resolved.push(await resolveNode(api, id));
      return { ...c, target: { ...c.target, ids: resolved } };
    }
    default:
      return c;
  }
}
