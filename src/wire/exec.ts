/**
 * Remote exec on the wire (docs/api.md#exec): the admin's submit, the agent's delivery and result post,
 * the result and queue views, and the long-poll queries.
 */
import { z } from 'zod';
import { INTERPRETERS, text } from './common.js';

import { FINAL_STATUSES, MAX_COMMAND_CHARS, MAX_EXEC_TIMEOUT_S, MAX_POLL_WAIT_S, MAX_RESULT_WAIT_S } from './constants.js';

export { FINAL_STATUSES, MAX_COMMAND_CHARS, MAX_EXEC_TIMEOUT_S, MAX_POLL_WAIT_S, MAX_RESULT_WAIT_S, type FinalStatus } from './constants.js';


/** `POST /nodes/{id}/exec`. */
export const execSubmitBody = z.object({
  command: z
    .string()
    .max(MAX_COMMAND_CHARS, `must be at most ${MAX_COMMAND_CHARS} characters`)
    .refine((s) => s.trim() !== '', 'must not be empty'),
  timeout_s: z.number().int().min(1).max(MAX_EXEC_TIMEOUT_S).optional(),
  interpreter: z.enum(INTERPRETERS).optional(),
});
export type ExecSubmitBody = z.input<typeof execSubmitBody>;

export const execSubmitReply = z.object({ id: z.string() });

/** `GET /body/exec` 200: one exec for the agent. An interpreter the agent does not know is reported, not refused. */
export const execDelivery = z.object({
  id: z.string().min(1),
  command: z.string(),
  interpreter: z.string().default('bash'),
  timeout_s: z.number().positive(),
  queued_at: z.string().optional(),
});
export type ExecDelivery = z.output<typeof execDelivery>;

export { capUtf8 } from './utf8.js';

/**
 * `POST /body/exec/result`: the agent cut each stream at `max_output_bytes` (the server's limit, told
 * in `limits`) and reports the cut in `*_truncated`; no marker text is added to a stream.
 */
export const execResultBody = z.object({
  id: text(64),
  exit_code: z.number().int().min(-(2 ** 31)).max(2 ** 32 - 1),
  stdout: z.string().default(''),
  stderr: z.string().default(''),
  started_at: text(64).optional(),
  finished_at: text(64).optional(),
  timed_out: z.boolean().default(false),
  stdout_truncated: z.boolean().default(false),
  stderr_truncated: z.boolean().default(false),
  /** docs/api.md#exec: the agent killed the command because the exec was cancelled; this is the output so far. */
  cancelled: z.boolean().optional(),
});
export type ExecResultBody = z.output<typeof execResultBody>;

/** `GET /nodes/{id}/exec/{execId}/result` 200. */
export const execResultView = z.object({
  id: z.string(),
  status: z.enum(FINAL_STATUSES),
  exit_code: z.number().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean(),
  stderr_truncated: z.boolean(),
  queued_at: z.string(),
  delivered_at: z.string().nullable(),
  finished_at: z.string(),
  duration_ms: z.number().nullable(),
});
export type ExecResultView = z.output<typeof execResultView>;

/** The same endpoint's 202 while the exec is not finished. */
export const execPendingView = z.object({
  status: z.literal('pending'),
  state: z.enum(['queued', 'delivered']),
  position: z.number().nullable(),
});
export type ExecPendingView = z.output<typeof execPendingView>;

/** What the queue item and the exec view both say of an exec (one shape, two answers). */
export const execFactsShape = {
  id: z.string(),
  command: z.string(),
  command_truncated: z.boolean(),
  interpreter: z.enum(INTERPRETERS),
  timeout_s: z.number(),
  queued_at: z.string(),
  delivered_at: z.string().nullable(),
};

export const execQueueItem = z.object({ ...execFactsShape, age_s: z.number() });
export type ExecQueueItem = z.output<typeof execQueueItem>;

/** `GET /nodes/{id}/exec`. */
export const execQueueView = z.object({
  depth: z.number(),
  oldest_age_s: z.number().nullable(),
  delivered: z.array(execQueueItem),
  queued: z.array(execQueueItem),
});
export type ExecQueueView = z.output<typeof execQueueView>;

/** `delivered` (an addition): how many of them were running; their agents were told to stop them. */
export const execCancelAllReply = z.object({ cancelled: z.number(), delivered: z.number().optional() });

export const execPollQuery = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_POLL_WAIT_S).default(0),
});

export const execResultQuery = z.object({
  wait: z.coerce.number().int().min(0).max(MAX_RESULT_WAIT_S).default(0),
});
