/**
 * Use case: an iPad registers itself with the fleet enrollment token (docs/api.md#heads-and-eligibility): a head of kind
 * `ipad`, auto-approved, `online` at once, with its node token. Refused (429
 * `too_many_pending_heads`) while `maxPending` heads so registered have never reported back: a
 * leaked fleet token cannot add heads without bound. Checked and counted in the same turn (the new
 * node's record reaches the heads' index synchronously), so concurrent requests never pass it.
 */
import type { Waiter } from '../actors/kernel/ask.js';
import type { Heads } from '../actors/head/heads.js';
import type { Fleet } from '../actors/node/fleet.js';
import { EMPTY_REPORTED, nodeRecordSchema, type NodeRecord } from '../actors/node/record.js';
import type { Clock } from '../clock.js';
import { AppError } from '../errors.js';
import { hashToken, newNodeId, newToken } from '../ids.js';
import type { Logger } from '../log.js';

/** What an iPad sends to register itself. */
export interface NewHead {
  name: string;
  district: string;
  venue: string;
  owner: string;
}

export interface HeadRegisterDeps {
  clock: Clock;
  fleet: Fleet;
  heads: Heads;
  log: Logger;
}

/** Registers the head; returns once nodes.yaml holds it (or its write is handed to the request, see `Waiter.durable`). */
export async function registerHead(d: HeadRegisterDeps, input: NewHead, maxPending: number, waiter?: Waiter): Promise<{ id: string; token: string }> {
  const pending = d.heads.pendingCount;
  if (pending >= maxPending) {
    throw new AppError(
      'too_many_pending_heads',
      `${pending} heads registered with the fleet enrollment token have never reported back (server.max_pending_heads ${maxPending}); ` +
        'delete the ones that are not real heads (never seen: last_seen equals created_at), and change server.fleet_enrollment_token if it leaked',
    );
  }
  const now = new Date(d.clock.now()).toISOString();
  const token = newToken('hcn');
  const record: NodeRecord = nodeRecordSchema.parse({
    id: newNodeId(),
    name: input.name,
    kind: 'ipad',
    state: 'online',
    owner: input.owner,
    district: input.district,
    venue: input.venue,
    created_at: now,
    last_seen: now,
    token_hash: hashToken(token),
    reported: { ...EMPTY_REPORTED, os: 'ios' },
    awaiting_report: true,
  });
  await d.fleet.admit(record, 'the head was not registered', waiter, () =>
    d.log.info('head registered', { node_id: record.id, kind: 'ipad', name: input.name, district: input.district, venue: input.venue }),
  );
  return { id: record.id, token };
}
