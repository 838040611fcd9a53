/**
 * What a cancel stopped, in the operator's words (docs/api.md#exec): said by `hydracluster cancel` and by
 * `exec` when it gives up on an exec that never reached its node.
 */
import type { CancelNote } from './exec-replies.js';
import { printable } from './printable.js';
import type { NotDelivered } from '../wire/exec-control.js';

/** Why an exec never reached its node, as a clause. */
export function notDeliveredText(n: NotDelivered): string {
  const since = n.since === null ? null : printable(n.since);
  switch (n.reason) {
    case 'node_offline':
      return `the node is offline (last heartbeat ${since ?? 'never'})`;
    case 'busy':
      return `the node is busy with exec ${printable(n.running ?? '?')} (running since ${since ?? '?'})`;
    case 'agent_not_fetching':
      return since === null ? 'the node is not fetching execs (its agent has not asked for work since the server started)' : `the node is not fetching execs (its agent last asked for work at ${since})`;
  }
}

/** What a cancel stopped, as one line (no newline). */
export function cancelText(id: string, note: CancelNote): string {
  const shown = printable(id);
  if (note.was === 'queued') return `cancelled exec ${shown} before it reached the node${note.notDelivered ? `: ${notDeliveredText(note.notDelivered)}` : ''}; it will not run`;
  if (note.was === 'delivered' && note.agentListening === false) {
    return `cancelled exec ${shown}; its agent does not listen for cancels (an older or third-party agent): the command may run on the node until its timeout`;
  }
  if (note.was === 'delivered') return `cancelled exec ${shown}; the node was told to stop it (its process group is killed); output so far: hydracluster result ${shown} --wait`;
  return `cancelled exec ${shown}`;
}
