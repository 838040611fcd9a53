/**
 * Fleet exec on the wire (docs/api.md#fleet-exec): the submit with its target, the batch view and its long-poll
 * query. One shape each, used by the server (validation, reply types) and the CLI (reading).
 */
import { z } from 'zod';
import { NODE_STATES, text } from './common.js';
import { KIND_FILTERS } from './constants.js';
import { FINAL_STATUSES, MAX_RESULT_WAIT_S, execSubmitBody } from './exec.js';

/** A target naming this many ids at most; more is the whole fleet, use another filter. */
export const MAX_TARGET_IDS = 10_000;
const filterValue = text(128).refine((s) => s.trim() !== '', 'must not be empty');

/**
 * Which nodes a batch runs on: every given filter must match; `state` defaults to `online`.
 * `{"all": true}` is the whole fleet (still filtered by `state`); a target with no filter is refused.
 * `kind: "head"` matches every head kind (flatscreen, windows, ipad), as in `GET /nodes?kind=head`.
 */
export const batchTarget = z
  .object({
    all: z.literal(true).optional(),
    ids: z.array(text(64)).min(1, 'must name at least one node').max(MAX_TARGET_IDS, `must name at most ${MAX_TARGET_IDS} nodes`).optional(),
    kind: z.enum(KIND_FILTERS).optional(),
    role: filterValue.optional(),
    district: filterValue.optional(),
    venue: filterValue.optional(),
    state: z.enum(NODE_STATES).optional(),
  })
  .strict()
  .refine(
    (t) => t.all === true || t.ids !== undefined || t.kind !== undefined || t.role !== undefined || t.district !== undefined || t.venue !== undefined,
    'must name at least one of ids, kind, role, district, venue, or be {"all": true} (no accidental fleet-wide run)',
  );
export type BatchTarget = z.output<typeof batchTarget>;

/** The filter keys a target (and `hydracluster exec --where`) accepts besides `all`. */
export const TARGET_KEYS = ['ids', 'kind', 'role', 'district', 'venue', 'state'] as const;

/** `POST /exec`. */
export const batchSubmitBody = execSubmitBody.extend({ target: batchTarget });
export type BatchSubmitBody = z.input<typeof batchSubmitBody>;

/** Why a selected node got no exec. */
export const SKIP_REASONS = ['queue_full', 'not_online', 'state_mismatch', 'not_found', 'filter_mismatch', 'no_exec_channel', 'refused'] as const;
export const batchSkip = z.object({ node_id: z.string(), name: z.string().nullable().default(null), reason: z.string(), message: z.string().optional() });
export type BatchSkip = z.output<typeof batchSkip>;

/** `POST /exec` 202 (200 when no node matched). */
export const batchSubmitReply = z.object({
  batch_id: z.string(),
  /** `name` (an addition): the node's name, so a client can say where the command went. */
  execs: z.array(z.object({ node_id: z.string(), name: z.string().optional(), id: z.string() })),
  skipped: z.array(batchSkip),
});
export type BatchSubmitReply = z.output<typeof batchSubmitReply>;

/** One member of a batch: a node's exec, `pending` until it reaches a final status (docs/api.md#exec). */
export const batchMember = z.object({
  node_id: z.string(),
  name: z.string(),
  id: z.string(),
  status: z.enum(['pending', ...FINAL_STATUSES]),
  exit_code: z.number().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdout_truncated: z.boolean().default(false),
  stderr_truncated: z.boolean().default(false),
  duration_ms: z.number().nullable(),
});
export type BatchMember = z.output<typeof batchMember>;

/**
 * `GET /exec/batches/{batchId}` 200: one page. Without `since`, `results` are the members in node
 * order from `?offset=` on; with `?since=K`, the members that finished after the K-th (in the order
 * they finished). Either way an answer carries at most {@link BATCH_PAGE_OUTPUT_CHARS} characters
 * of output (always at least one member); `more: true` says the rest is on the next page:
 * `?offset=<next_offset>` without `since`, `?since=<cursor>` with it. `cursor`: without `since`,
 * how many members have finished; with it, where the next page starts (= `finished` when `more` is
 * false).
 */
export const batchView = z.object({
  batch_id: z.string(),
  command: z.string(),
  state: z.enum(['running', 'finished']),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  total: z.number(),
  finished: z.number(),
  cursor: z.number(),
  counts: z.object({ ok: z.number(), failed: z.number(), timed_out: z.number(), cancelled: z.number(), expired: z.number(), pending: z.number() }),
  results: z.array(batchMember),
  skipped: z.array(batchSkip),
  more: z.boolean().default(false),
  next_offset: z.number().nullable().default(null),
});
export type BatchView = z.output<typeof batchView>;

/** Output characters (stdout and stderr, before JSON escaping) one batch answer carries at most. */
export const BATCH_PAGE_OUTPUT_CHARS = 16 * 1024 * 1024;

/**
 * `GET /exec/batches/{batchId}?wait=N&since=K` or `?wait=N&offset=M`: without `since`, parked
 * until every member finished or N s passed; with `since`, until a member finishes after the K-th
 * (or N s passed). `offset` pages the node-ordered view, so it does not go with `since`.
 */
export const batchQuery = z
  .object({
    wait: z.coerce.number().int().min(0).max(MAX_RESULT_WAIT_S).default(0),
    since: z.coerce.number().int().min(0).optional(),
    offset: z.coerce.number().int().min(0).optional(),
  })
  .refine((q) => q.since === undefined || q.offset === undefined, { message: 'must not be given with since (since pages by finish order)', path: ['offset'] });
