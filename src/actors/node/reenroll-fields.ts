/**
 * Re-enrollment on the node record (docs/api.md#re-enrollment), as pure functions the lifecycle machine's actions
 * apply: a new single-use enrollment for an existing node, its expiry, and its redemption, which
 * replaces the token and keeps everything an operator set (roles, place, drain, head pins).
 */
import type { NodeRecord, Reported } from './record.js';

export type Reenrollment = NonNullable<NodeRecord['reenrollment']>;

/** Not registered yet (enrolling, expired): the new token replaces the enrollment's. */
export const reissued = (r: NodeRecord, e: Reenrollment): NodeRecord => ({ ...r, enrollment: { ...e, used_at: null } });

/** Registered: the node keeps answering to its token until the re-enrollment is redeemed. */
export const reenrollmentOpened = (r: NodeRecord, e: Reenrollment): NodeRecord => ({ ...r, reenrollment: e });

/** Expired unredeemed: as if it had never been issued. */
export function reenrollmentDropped(r: NodeRecord): NodeRecord {
  const { reenrollment: _, ...rest } = r;
  return rest;
}

/**
 * Redeemed: a new token (the old one stops working), the same id, roles, place, drain and head
 * pins; what the old agent reported about its roles and its last self-update is forgotten.
 */
export function reregistered(r: NodeRecord, tokenHash: string, reported: Partial<Reported>, at: string): NodeRecord {
  const { reenrollment, ...rest } = r;
  const { agent_update: _, ...kept } = rest.reported;
  return {
    ...rest,
    token_hash: tokenHash,
    enrollment: reenrollment ? { ...reenrollment, used_at: at } : rest.enrollment,
    reported: { ...kept, roles_applied: [], ...reported },
  };
}
