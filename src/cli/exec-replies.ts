/**
 * The exec replies `hydracluster exec` reads, checked without loading zod.
 *
 * The contract is src/wire/exec.ts (execSubmitReply, execResultView, execPendingView): these
 * readers return exactly its output types, so a field added or renamed there breaks this file's
 * compilation, and test/cli/exec-replies.test.ts holds them to the schemas' verdict on every field.
 * Why not the schemas themselves: zod is ~95 ES modules, and loading them (~55–75 ms here) costs
 * about as much as Node's own start, which is the budget of the whole command. When a reply does
 * not pass, the schema is loaded after all, to name the field the way the rest of the system does.
 */
import type { z } from 'zod';
import type { ExecPendingView, ExecResultView, FinalStatus, execSubmitReply } from '../wire/exec.js';
import type { NotDelivered } from '../wire/exec-control.js';
import { CliError } from './errors.js';
import { EX_SOFTWARE } from '../sysexits.js';

export type ExecSubmitReply = z.output<typeof execSubmitReply>;

const FINAL_STATUSES = ['done', 'timed_out', 'cancelled', 'expired'] as const satisfies readonly FinalStatus[];
const PENDING_STATES = ['queued', 'delivered'] as const satisfies readonly ExecPendingView['state'][];
const NOT_DELIVERED_REASONS = ['node_offline', 'busy', 'agent_not_fetching'] as const satisfies readonly NotDelivered['reason'][];
// Every status of the contract is listed: adding one there fails here until the CLI knows it.
const allStatuses: [Exclude<FinalStatus, (typeof FINAL_STATUSES)[number]>] extends [never] ? true : false = true;
const allStates: [Exclude<ExecPendingView['state'], (typeof PENDING_STATES)[number]>] extends [never] ? true : false = true;
const allReasons: [Exclude<NotDelivered['reason'], (typeof NOT_DELIVERED_REASONS)[number]>] extends [never] ? true : false = true;
void allStatuses;
void allStates;
void allReasons;

type Body = Record<string, unknown>;
const isBody = (v: unknown): v is Body => typeof v === 'object' && v !== null && !Array.isArray(v);
const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isOneOf = <T extends string>(list: readonly T[], v: unknown): v is T => (list as readonly unknown[]).includes(v);
const orNull = <T>(is: (v: unknown) => v is T) => (v: unknown): v is T | null => v === null || is(v);

/** `POST /nodes/{id}/exec` 202, or null. */
export function readSubmitReply(body: unknown): ExecSubmitReply | null {
  return isBody(body) && isString(body.id) ? { id: body.id } : null;
}

/** `GET …/result` 200, or null. */
export function readResult(b: unknown): ExecResultView | null {
  if (!isBody(b)) return null;
  const { id, status, exit_code, stdout, stderr, stdout_truncated, stderr_truncated, queued_at, delivered_at, finished_at, duration_ms } = b;
  const ok =
    isString(id) && isOneOf(FINAL_STATUSES, status) && orNull(isNumber)(exit_code) && isString(stdout) && isString(stderr) &&
    typeof stdout_truncated === 'boolean' && typeof stderr_truncated === 'boolean' && isString(queued_at) &&
    orNull(isString)(delivered_at) && isString(finished_at) && orNull(isNumber)(duration_ms);
  return ok ? { id, status, exit_code, stdout, stderr, stdout_truncated, stderr_truncated, queued_at, delivered_at, finished_at, duration_ms } : null;
}

/** `GET …/result` 202 (not finished yet), or null. */
export function readPending(b: unknown): ExecPendingView | null {
  if (!isBody(b)) return null;
  const { status, state, position } = b;
  return status === 'pending' && isOneOf(PENDING_STATES, state) && orNull(isNumber)(position) ? { status, state, position } : null;
}

/** What a cancel reply (docs/api.md#exec) says beyond the result: what the exec was, and why it never reached its node. */
export interface CancelNote {
  /** null: a server older than docs/api.md#exec did not say. */
  was: 'queued' | 'delivered' | null;
  notDelivered: NotDelivered | null;
  agentListening: boolean | null;
}

/** A cancel reply's note; its fields are additions, so an older server's plain result reads as "unknown". */
export function readCancelNote(b: unknown): CancelNote {
  const body = isBody(b) ? b : {};
  const was = body.was === 'queued' || body.was === 'delivered' ? body.was : null;
  const nd = isBody(body.not_delivered) ? body.not_delivered : null;
  const notDelivered =
    nd && isOneOf(NOT_DELIVERED_REASONS, nd.reason) && orNull(isString)(nd.since)
      ? { reason: nd.reason, since: nd.since, ...(isString(nd.running) ? { running: nd.running } : {}) }
      : null;
  return { was, notDelivered, agentListening: typeof body.agent_listening === 'boolean' ? body.agent_listening : null };
}

const SCHEMAS = { submit: 'execSubmitReply', result: 'execResultView', pending: 'execPendingView' } as const;

/** The error for a reply that did not pass: the contract's schema names the field. */
export async function unexpectedReply(kind: keyof typeof SCHEMAS, body: unknown): Promise<CliError> {
  const wire = await import('../wire/exec.js');
  const issue = wire[SCHEMAS[kind]].safeParse(body).error?.issues[0];
  const where = issue ? ` (${issue.path.join('.') || 'body'}: ${issue.message})` : '';
  return new CliError(EX_SOFTWARE, `the server answered the exec ${kind} in an unexpected shape${where}`);
}
