/**
 * Exec control (docs/api.md#exec), the queue's pure side: why a queued exec never reached its node, where
 * a cancelled exec's kill stands, and the exec as `GET /execs/{execId}` shows it. No clock here:
 * callers pass `now` (monotonic) and the wall-time conversion.
 */
import { iso } from '../../clock.js';
import { KILL_REPORT_WAIT_S, type ExecView, type KillState, type NotDelivered } from '../../wire/index.js';
import type { ExecBook } from './book.js';
import { isFinished, statusOf, type ExecSnapshot } from './machine.js';
import { execFacts, toResult, type ToWall } from './view.js';

export const KILL_REPORT_WAIT_MS = KILL_REPORT_WAIT_S * 1000;

/** What the node actor knows that the queue does not: its state and last heartbeat. */
export interface NodeFacts {
  state: string;
  lastSeen: string | null;
}

/**
 * Why a queued exec has not reached its node: the node is offline; its agent runs another exec
 * (one at a time); or its agent has not come for work since `fetchedAt` (monotonic, null: never
 * since the server started).
 */
export function notDelivered(book: ExecBook, node: NodeFacts | undefined, fetchedAt: number | null, wall: ToWall): NotDelivered {
  if (node?.state === 'offline') return { reason: 'node_offline', since: node.lastSeen };
  const running = book.delivered.values().next().value;
  if (running) {
    const c = running.snap.context;
    return { reason: 'busy', since: iso(wall(c.deliveredAt ?? c.queuedAt)), running: c.id };
  }
  return { reason: 'agent_not_fetching', since: fetchedAt === null ? null : iso(wall(fetchedAt)) };
}

/** The kill of a cancelled delivered exec as shown: `awaited` turns `not_reported` once its wait is over. */
export function killState(snap: ExecSnapshot, now: number): KillState | null {
  const c = snap.context;
  if (c.kill !== 'awaited') return c.kill;
  return now < (c.finishedAt ?? 0) + KILL_REPORT_WAIT_MS ? 'awaited' : 'not_reported';
}

/** Finished, and no kill report is still awaited: what `GET /execs/{id}?wait` waits for. */
export function isSettled(snap: ExecSnapshot, now: number): boolean {
  return isFinished(snap) && killState(snap, now) !== 'awaited';
}

/** How long a wait for `snap` to settle may park: its own wait, at most the rest of the kill wait. */
export function settleWaitMs(snap: ExecSnapshot, waitMs: number, now: number): number {
  if (!isFinished(snap)) return waitMs;
  return Math.min(waitMs, Math.max(0, (snap.context.finishedAt ?? 0) + KILL_REPORT_WAIT_MS - now));
}

/** `GET /execs/{execId}`. */
export function toExecView(snap: ExecSnapshot, nodeId: string, position: number | null, now: number, wall: ToWall): ExecView {
  const { id, ...facts } = execFacts(snap, wall);
  return {
    id,
    node_id: nodeId,
    status: statusOf(snap),
    position,
    ...facts,
    kill: killState(snap, now),
    result: isFinished(snap) ? toResult(snap, wall) : null,
  };
}
