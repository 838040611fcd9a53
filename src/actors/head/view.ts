/**
 * The head object (docs/api.md#heads-and-eligibility), built from what the actors publish: the head actor's snapshot, its
 * node actor's record and view (name, kind, place, lifecycle, last_seen) and the assigned body's
 * record (its name and the addresses of its last heartbeat). No message is sent.
 */
import type { HeadView } from '../../wire/heads.js';
import type { NodeActor } from '../node/actor.js';
import type { HeadSnapshot } from './actor.js';
import { streamUrl } from './eligibility.js';

/** `node_status`: `online` when the node is online or provisioning (docs/api.md#node-lifecycle). */
export const nodeStatus = (state: string): 'online' | 'offline' => (state === 'online' || state === 'provisioning' ? 'online' : 'offline');

/**
 * Diagnostics: what the node's agent reported in its heartbeat, overlaid by what the head itself
 * reported (PUT); omitted when empty.
 */
export function headDiagnostics(fromBeat: Record<string, unknown>, head: HeadSnapshot): Record<string, unknown> {
  return Object.keys(fromBeat).length === 0 ? head.diagnostics : { ...fromBeat, ...head.diagnostics };
}

export function toHeadView(head: HeadSnapshot, node: NodeActor, body: NodeActor | undefined, experienceLibraryUrl: string): HeadView {
  const v = node.view();
  const r = node.published;
  const reported = body?.published.reported;
  const diagnostics = headDiagnostics(v.diagnostics, head);
  const out: HeadView = {
    id: r.id,
    name: r.name,
    kind: r.kind,
    district: r.district,
    venue: r.venue,
    owner: r.owner,
    status: head.status,
    node_status: nodeStatus(r.state),
    last_seen: v.last_seen,
    body_id: head.assignment?.body_id ?? null,
    assigned_body_name: body?.published.name ?? null,
    app_id: head.assignment?.app_id ?? null,
    stream_url: streamUrl(reported?.wg_ip ?? null),
    stream_url_lan: streamUrl(reported?.lan_ip ?? null),
    allowed_experiences: [...head.allowed],
    experience_library_url: experienceLibraryUrl,
  };
  if (Object.keys(diagnostics).length > 0) out.diagnostics = diagnostics;
  return out;
}
