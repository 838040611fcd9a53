/**
 * The shapes an exec takes on the wire (SPEC §5, §6), built from its statechart snapshot, and the
 * output cap applied to what agents report.
 */
import { iso } from '../clock.js';
import { statusOf, type ExecSnapshot, type FinalStatus, type Interpreter } from './exec-machine.js';

/** Queue listings show this much of each command; the full text is in the agent's delivery. */
export const COMMAND_PREVIEW_CHARS = 256;

const UTF8_CONTINUATION_MASK = 0xc0;
const UTF8_CONTINUATION = 0x80;

/** Cuts `text` to at most `maxBytes` of UTF-8, never inside a character. */
export function capUtf8(text: string, maxBytes: number): { text: string; truncated: boolean; bytes: number } {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return { text, truncated: false, bytes };
  const buf = Buffer.from(text, 'utf8');
  let end = maxBytes;
  while (end > 0 && (buf[end]! & UTF8_CONTINUATION_MASK) === UTF8_CONTINUATION) end--;
  return { text: buf.toString('utf8', 0, end), truncated: true, bytes: end };
}

/** What `GET /body/exec` hands the agent. */
export interface ExecDelivery {
  id: string;
  command: string;
  interpreter: Interpreter;
  timeout_s: number;
  queued_at: string;
}

/** The 200 body of `GET /nodes/{id}/exec/{execId}/result`. */
export interface ExecResultView {
  id: string;
  status: FinalStatus;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  queued_at: string;
  delivered_at: string | null;
  finished_at: string;
  duration_ms: number | null;
}

/** The 202 body of the same endpoint while the exec is not finished. */
export interface ExecPendingView {
  status: 'pending';
  state: 'queued' | 'delivered';
  position: number | null;
}

/** One line of `GET /nodes/{id}/exec`. */
export interface ExecQueueItem {
  id: string;
  command: string;
  command_truncated: boolean;
  interpreter: Interpreter;
  timeout_s: number;
  queued_at: string;
  delivered_at: string | null;
  age_s: number;
}

/** The body of `GET /nodes/{id}/exec`. */
export interface ExecQueueView {
  depth: number;
  oldest_age_s: number | null;
  delivered: ExecQueueItem[];
  queued: ExecQueueItem[];
}

/** The agent's view of an exec. */
export function toDelivery(snap: ExecSnapshot): ExecDelivery {
  const c = snap.context;
  return { id: c.id, command: c.command, interpreter: c.interpreter, timeout_s: c.timeoutS, queued_at: iso(c.queuedAt) };
}

/**
 * duration_ms is the agent's own measure (finished_at − started_at) when it sent both; otherwise
 * the server's, from delivery to the end.
 */
export function toResult(snap: ExecSnapshot): ExecResultView {
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
    queued_at: iso(c.queuedAt),
    delivered_at: c.deliveredAt === null ? null : iso(c.deliveredAt),
    finished_at: iso(finishedAt),
    duration_ms: duration,
  };
}

/** An exec as one line of the queue view. */
export function toQueueItem(snap: ExecSnapshot, now: number): ExecQueueItem {
  const c = snap.context;
  return {
    id: c.id,
    command: c.command.slice(0, COMMAND_PREVIEW_CHARS),
    command_truncated: c.command.length > COMMAND_PREVIEW_CHARS,
    interpreter: c.interpreter,
    timeout_s: c.timeoutS,
    queued_at: iso(c.queuedAt),
    delivered_at: c.deliveredAt === null ? null : iso(c.deliveredAt),
    age_s: Math.floor((now - c.queuedAt) / 1000),
  };
}
