/**
 * The shapes an exec takes on the wire (docs/api.md#exec), built from its statechart snapshot, and the
 * output cap applied to what agents report.
 */
import { iso } from '../../clock.js';
import type { ExecDelivery, ExecQueueItem, ExecResultView, FinalStatus } from '../../wire/index.js';
import { statusOf, type ExecSnapshot } from './machine.js';

/** Queue listings show this much of each command; the full text is in the agent's delivery. */
export const COMMAND_PREVIEW_CHARS = 256;

export { capUtf8 } from '../../wire/index.js';

export type { ExecPendingView, ExecQueueItem, ExecQueueView, ExecResultView } from '../../wire/index.js';

/** What `GET /body/exec` hands the agent. */
export type { ExecDelivery } from '../../wire/index.js';

/** Wall-clock ms of a monotonic instant (exec times are kept monotonic, shown as wall time). */
export type ToWall = (mono: number) => number;

/** The agent's view of an exec. */
export function toDelivery(snap: ExecSnapshot, wall: ToWall): ExecDelivery {
  const c = snap.context;
  return { id: c.id, command: c.command, interpreter: c.interpreter, timeout_s: c.timeoutS, queued_at: iso(wall(c.queuedAt)) };
}

/**
 * duration_ms is the agent's own measure (finished_at − started_at) when it sent both; otherwise
 * the server's, from delivery to the end.
 */
export function toResult(snap: ExecSnapshot, wall: ToWall): ExecResultView {
  const c = snap.context;
  const o = c.outcome;
  const finishedAt = c.finishedAt ?? c.queuedAt;
  let duration: number | null = c.deliveredAt === null ? null : finishedAt - c.deliveredAt;
  if (o && o.startedAtMs !== null && o.agentFinishedAtMs !== null && o.agentFinishedAtMs >= o.startedAtMs) {
    duration = o.agentFinishedAtMs - o.startedAtMs;
  }
  return {
    id: c.id,
    status: statusOf(snap) as FinalStatus,
    exit_code: o ? o.exitCode : null,
    stdout: o ? o.stdout : '',
    stderr: o ? o.stderr : '',
    stdout_truncated: o ? o.stdoutTruncated : false,
    stderr_truncated: o ? o.stderrTruncated : false,
    queued_at: iso(wall(c.queuedAt)),
    delivered_at: c.deliveredAt === null ? null : iso(wall(c.deliveredAt)),
    finished_at: iso(wall(finishedAt)),
    duration_ms: duration,
  };
}

/** What the queue view and the exec view both say of an exec: its id, command preview and times. */
export function execFacts(snap: ExecSnapshot, wall: ToWall): Omit<ExecQueueItem, 'age_s'> {
  const c = snap.context;
  return {
    id: c.id,
    command: c.command.slice(0, COMMAND_PREVIEW_CHARS),
    command_truncated: c.command.length > COMMAND_PREVIEW_CHARS,
    interpreter: c.interpreter,
    timeout_s: c.timeoutS,
    queued_at: iso(wall(c.queuedAt)),
    delivered_at: c.deliveredAt === null ? null : iso(wall(c.deliveredAt)),
  };
}

/** An exec as one line of the queue view. */
export function toQueueItem(snap: ExecSnapshot, now: number, wall: ToWall): ExecQueueItem {
  return { ...execFacts(snap, wall), age_s: Math.floor((now - snap.context.queuedAt) / 1000) };
}
