/**
 * Which nodes a batch target selects (docs/api.md#fleet-exec), read from the node records the node actors
 * publish to the fleet — no message to any node actor, in event-loop slices.
 * A node that matches every filter but `state` is reported as skipped (`not_online` when the
 * target wants online nodes), so an operator sees "12 render nodes in bxl1, 2 of them offline";
 * a matching iPad is skipped with `no_exec_channel` (docs/api.md#exec), whatever its state.
 */
import { isHeadKind, type NodeRecord, type NodeState } from '../node/record.js';
import type { BatchSkip, BatchTarget } from '../../wire/index.js';
import { forEachSliced } from './slices.js';
import { hasExecChannel } from '../../wire/constants.js';
import { NO_EXEC_CHANNEL_MESSAGE } from '../node/exec-channel.js';

/** What a batch needs of a selected node. */
export interface Selected {
  nodeId: string;
  name: string;
  /** What the node reported, for the default interpreter. */
  os: string | null;
}

export interface Selection {
  selected: Selected[];
  skipped: BatchSkip[];
}

/** Where the records are read: the fleet (`Fleet.get`, `Fleet.all`). */
export interface RecordSource {
  get(id: string): { published: Readonly<NodeRecord> } | undefined;
  all(): Iterable<{ published: Readonly<NodeRecord> }>;
}

/** True when `r` matches every given filter except `state` (`kind: head`: any head kind). */
function matchesFilters(r: NodeRecord, t: BatchTarget): boolean {
  return (
    (t.kind === undefined || (t.kind === 'head' ? isHeadKind(r.kind) : r.kind === t.kind)) &&
    (t.role === undefined || r.roles.includes(t.role)) &&
    (t.district === undefined || r.district === t.district) &&
    (t.venue === undefined || r.venue === t.venue)
  );
}

const stateSkip = (r: NodeRecord, want: NodeState): BatchSkip => ({
  node_id: r.id,
  name: r.name,
  reason: want === 'online' ? 'not_online' : 'state_mismatch',
  message: `the node is ${r.state}, the target wants ${want}`,
});

/** Selects the target's nodes, ordered by name (then id) so every listing reads the same. */
export async function selectNodes(fleet: RecordSource, target: BatchTarget): Promise<Selection> {
  const want = target.state ?? 'online';
  const selected: Selected[] = [];
  const skipped: BatchSkip[] = [];
  const consider = (r: NodeRecord): void => {
    if (!matchesFilters(r, target)) return;
    if (!hasExecChannel(r.kind)) skipped.push({ node_id: r.id, name: r.name, reason: 'no_exec_channel', message: NO_EXEC_CHANNEL_MESSAGE });
    else if (r.state !== want) skipped.push(stateSkip(r, want));
    else selected.push({ nodeId: r.id, name: r.name, os: r.reported.os });
  };
  if (target.ids) {
    const seen = new Set<string>();
    await forEachSliced(target.ids, (id) => {
      if (seen.has(id)) return;
      seen.add(id);
      const node = fleet.get(id);
      if (!node) skipped.push({ node_id: id, name: null, reason: 'not_found', message: 'no such node' });
      else if (!matchesFilters(node.published, target)) {
        // Named, but another filter excludes it: said, not silently dropped.
        skipped.push({ node_id: id, name: node.published.name, reason: 'filter_mismatch', message: 'the node does not match the other filters of the target' });
      } else consider(node.published);
    });
  } else {
    await forEachSliced(fleet.all(), (n) => consider(n.published));
  }
  selected.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.nodeId < b.nodeId ? -1 : 1));
  return { selected, skipped };
}
