/**
 * Exec control on the wire (docs/api.md#exec): an exec reached by its id alone (`GET`/`DELETE
 * /execs/{execId}`), what a cancel says about the exec it stopped, and the agent's cancel channel
 * (`GET /body/exec/{execId}/cancel?wait=N`), held beside the exec it runs.
 */
import { z } from 'zod';
import { FINAL_STATUSES, MAX_POLL_WAIT_S, MAX_RESULT_WAIT_S } from './constants.js';
import { execFactsShape, execResultView } from './exec.js';

/**
 * Why an exec was still queued when it was cancelled: its node is offline (since its last
 * heartbeat), its agent runs another exec (`running`, since it was delivered), or its agent has not
 * come for work since `since` (null: not since the server started).
 */
export const NOT_DELIVERED_REASONS = ['node_offline', 'busy', 'agent_not_fetching'] as const;
export const notDelivered = z.object({
  reason: z.enum(NOT_DELIVERED_REASONS),
  since: z.string().nullable(),
  running: z.string().optional(),
});
export type NotDelivered = z.output<typeof notDelivered>;

/**
 * Where the agent's kill of a cancelled, delivered exec stands: `awaited` (the agent held the
 * cancel channel and was told; its report with the output so far is due within
 * KILL_REPORT_WAIT_S), `reported`, `not_reported` (the wait passed), `not_listening` (no agent held
 * the channel: an agent that does not know it runs the command to its timeout). null otherwise.
 */
export const KILL_STATES = ['awaited', 'reported', 'not_reported', 'not_listening'] as const;
export type KillState = (typeof KILL_STATES)[number];
/** How long after a cancel the server waits for the agent's kill report (SIGTERM, 2 s, SIGKILL, report). */
export const KILL_REPORT_WAIT_S = 10;

/** `DELETE /nodes/{id}/exec/{execId}` and `DELETE /execs/{execId}` 200: the result, and what the cancel stopped. */
export const execCancelReply = execResultView.extend({
  was: z.enum(['queued', 'delivered']),
  /** `was: queued`: why it never reached the node. */
  not_delivered: notDelivered.optional(),
  /** `was: delivered`: the agent held the cancel channel and was told at once. */
  agent_listening: z.boolean().optional(),
});
export type ExecCancelReply = z.output<typeof execCancelReply>;

/** `GET /execs/{execId}` 200: the exec with its node and, once finished, its result. */
export const execView = z.object({
  ...execFactsShape,
  node_id: z.string(),
  status: z.enum(['queued', 'delivered', ...FINAL_STATUSES]),
  /** 0-based place among the queued; null unless queued. */
  position: z.number().nullable(),
  kill: z.enum(KILL_STATES).nullable(),
  result: execResultView.nullable(),
});
export type ExecView = z.output<typeof execView>;

/** `GET /execs/{execId}?wait=N`: parked until the exec is finished and no kill report is awaited. */
export const execViewQuery = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_RESULT_WAIT_S).default(0),
});

/** `GET /body/exec/{execId}/cancel?wait=N` (agent). */
export const cancelWatchQuery = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_POLL_WAIT_S).default(0),
});
/** Its 200: the exec ended; `cancelled` says whether by a cancel (kill it) or otherwise (stop listening). */
export const cancelWatchReply = z.object({ cancelled: z.boolean() });
export type CancelWatchReply = z.output<typeof cancelWatchReply>;
