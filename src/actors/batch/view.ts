/**
 * What a batch shows of its members (docs/api.md#fleet-exec): a member as it goes on the wire, a page of them
 * within an answer's output budget, a skipped node, and the result of a member whose node was
 * deleted.
 */
import { AppError } from '../../errors.js';
import type { BatchMember, BatchSkip, ExecResultView, FinalStatus } from '../../wire/index.js';
import type { Selected } from './select.js';

/** One node's exec in a batch; `result` is set once it reached a final state. */
export interface Member {
  nodeId: string;
  name: string;
  execId: string;
  result: ExecResultView | null;
}

/** A member as `GET /exec/batches/{id}` shows it: `pending` until its exec finished. */
export function toMember(m: Member): BatchMember {
  const r = m.result;
  return {
    node_id: m.nodeId,
    name: m.name,
    id: m.execId,
    status: r ? r.status : 'pending',
    exit_code: r ? r.exit_code : null,
    stdout: r ? r.stdout : '',
    stderr: r ? r.stderr : '',
    stdout_truncated: r ? r.stdout_truncated : false,
    stderr_truncated: r ? r.stderr_truncated : false,
    duration_ms: r ? r.duration_ms : null,
  };
}

/** What a member adds to an answer besides its output (ids, name, status: ~200 characters). */
const MEMBER_CHARS = 256;

/** What a member costs in an answer's budget: its output (stdout and stderr) and its fields. */
export const memberChars = (m: Member): number => MEMBER_CHARS + (m.result ? m.result.stdout.length + m.result.stderr.length : 0);

/**
 * The members `from` on (`at(i)` for i < `count`) that fit `budget` characters, and at least one
 * (so a reader always gets further, whatever one member holds); `more` when some are left over.
 */
export function pageOf(from: number, count: number, at: (i: number) => Member, budget: number): { members: Member[]; more: boolean } {
  const members: Member[] = [];
  let used = 0;
  let i = from;
  for (; i < count; i++) {
    const m = at(i);
    const cost = memberChars(m);
    if (members.length > 0 && used + cost > budget) break;
    members.push(m);
    used += cost;
  }
  return { members, more: i < count };
}

/** Why a node got no exec: the queue's refusal, as a skip reason. */
export function skipOf(n: Selected, e: unknown): BatchSkip {
  const reason = e instanceof AppError ? (e.code === 'queue_full' ? 'queue_full' : e.code === 'not_found' ? 'not_found' : 'refused') : 'refused';
  const message = e instanceof Error ? e.message : String(e);
  return { node_id: n.nodeId, name: n.name, reason, message };
}

/** A member whose node was deleted: cancelled, as its queue was. */
export function goneResult(id: string, at: string): ExecResultView {
  const status: FinalStatus = 'cancelled';
  return { id, status, exit_code: null, stdout: '', stderr: '', stdout_truncated: false, stderr_truncated: false, queued_at: at, delivered_at: null, finished_at: at, duration_ms: null };
}
