/**
 * Use cases of a head's own object (docs/api.md#heads-and-eligibility): its report, and an admin's assignment.
 *
 * A report from the head itself (its node token) is also its node's heartbeat: the node's offline
 * clock restarts. An admin's report is not (an operator setting a status must not make a silent
 * kiosk look alive). An assignment names a body id: what the fleet knows of it goes to the head's
 * machine, whose guards decide (only a body can be assigned).
 */
import { askHead, type HeadActor, type HeadSnapshot } from '../actors/head/actor.js';
import type { Heads } from '../actors/head/heads.js';
import type { BodyKindSeen } from '../actors/head/machine.js';
import type { AskOptions } from '../actors/kernel/ask.js';
import { askNode } from '../actors/node/actor.js';
import type { Fleet } from '../actors/node/fleet.js';
import type { HeadStatus } from '../wire/heads.js';

export interface HeadReport {
  status?: HeadStatus;
  diagnostics?: Record<string, unknown>;
  streamingBodyId?: string | null;
}

/** The head's report; `beat` (the head itself reported) also heartbeats its node. */
export async function reportHead(fleet: Fleet, head: HeadActor, report: HeadReport, beat: boolean, opts: AskOptions): Promise<HeadSnapshot> {
  const snap = await askHead(head, { type: 'report', ...report }, opts);
  const node = beat ? fleet.get(head.nodeId) : undefined;
  if (node) await askNode(node, { type: 'heartbeat', report: { reported: {}, ack: [] } }, opts);
  return snap;
}

/** An admin assigns `bodyId` (null: clears) to the head; the head's machine decides. */
export function assignHead(d: { fleet: Fleet; heads: Heads }, head: HeadActor, bodyId: string | null, appId: string | null, opts: AskOptions): HeadSnapshot | Promise<HeadSnapshot> {
  const body = bodyId === null ? undefined : d.fleet.get(bodyId);
  const bodyKind: BodyKindSeen = body === undefined ? 'unknown' : d.heads.get(body.id) ? 'head' : 'body';
  return askHead(head, { type: 'assign', bodyId, bodyKind, appId }, opts);
}
