/**
 * A head's durable side on its node record (docs/api.md#heads-and-eligibility): the admin's assignment and the experience
 * allow-list, written by the head actor through its node actor (the owner of the nodes.yaml line).
 * Both are optional fields: a body, or a head with neither, carries no key and pays nothing.
 */
import type { NodeRecord } from './record.js';

/** What the head actor sends; absent keys stay as they are. */
export interface HeadChanges {
  /** null: no assignment. */
  assignment?: { body_id: string; app_id: string | null } | null;
  /** []: no filter. */
  allowed_experiences?: string[];
}

/** The record with `changes` applied; "none" leaves no key behind. */
export function applyHeadChanges(record: NodeRecord, changes: HeadChanges): NodeRecord {
  const next = { ...record };
  const { assignment, allowed_experiences: allowed } = changes;
  if (assignment === null) delete next.assignment;
  else if (assignment !== undefined) next.assignment = assignment;
  if (allowed?.length === 0) delete next.allowed_experiences;
  else if (allowed !== undefined) next.allowed_experiences = allowed;
  return next;
}
