/**
 * Which nodes a `GET /nodes` query selects (docs/api.md#nodes, docs/api.md#exec): every given filter must match, read
 * from the record the node actor publishes (no message to the actor). The dashboard's filters and
 * the API share it.
 */
import type { NodesQuery } from '../../wire/nodes.js';
import { isHeadKind, type NodeRecord } from './record.js';

export function matchesNodeQuery(r: NodeRecord, q: NodesQuery): boolean {
  if (q.name !== undefined && r.name !== q.name) return false;
  if (q.kind !== undefined && (q.kind === 'head' ? !isHeadKind(r.kind) : r.kind !== q.kind)) return false;
  if (q.state !== undefined && r.state !== q.state) return false;
  if (q.role !== undefined && !r.roles.includes(q.role)) return false;
  if (q.district !== undefined && r.district !== q.district) return false;
  return q.venue === undefined || r.venue === q.venue;
}
