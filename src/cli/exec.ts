/**
 * `hydracluster exec`: submit one command to a node's exec queue, then wait for its result with
 * the result long-poll (docs/api.md#exec `?wait=N`: the server answers the moment the exec finishes), one
 * request at a time until the CLI's own deadline, and behave like the remote command: its stdout
 * on stdout, its stderr on stderr, its exit code. `--json` prints the result object instead;
 * `--async` prints the exec id and returns. Deadline passed: 124; an exec that never reached the node
 * is cancelled (it must not run later, docs/api.md#exec) and the CLI says why; a running one is named with
 * how to follow or cancel it.
 * Replies are read with ./exec-replies.ts (the wire contract's shapes, checked without zod).
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { ExecCommand, Interpreter } from './args.js';
import { CliError } from './errors.js';
import { EX_NOINPUT, EX_SOFTWARE, EX_TIMEOUT } from '../sysexits.js';
import { seg, type Api } from './client.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import type { ExecPendingView, ExecResultView } from '../wire/exec.js';
import { readCancelNote, readPending, readResult, readSubmitReply, unexpectedReply } from './exec-replies.js';
import { cancelText } from './exec-notes.js';

/** How long the CLI waits when no --timeout was given (the server's default timeout_s). */
export const DEFAULT_WAIT_S = 60;
/**
 * Beyond --timeout: the agent kills the process group (SIGTERM, SIGKILL 2 s later) and then posts
 * its own `timed_out` report with the partial output; time for that report to arrive.
 */
export const REPORT_GRACE_MS = 5000;
/** The longest `?wait` the server takes. */
export { MAX_RESULT_WAIT_S as MAX_WAIT_S } from '../wire/constants.js';
import { MAX_RESULT_WAIT_S as MAX_WAIT_S } from '../wire/constants.js';
/** A long-poll request's own timeout is its wait plus this. */
export const WAIT_MARGIN_MS = 10_000;
/**
 * A server that ignores `?wait` (older than the result long-poll) answers 202 at once: then the
 * CLI backs off from FALLBACK_FIRST_MS, doubling up to FALLBACK_MAX_MS, instead of spinning.
 */
export const FALLBACK_FIRST_MS = 25;
export const FALLBACK_MAX_MS = 1000;
/** A 202 that came back in less than this share of the wait asked for was not held by the server. */
const HELD_SHARE = 0.5;
const MAX_EXIT_CODE = 255;
const MS_PER_S = 1000;

/** The CLI's outputs and time, injected so the waiting loop is tested without sleeping. */
export interface ExecIo {
  stdout: Out;
  stderr: Out;
  now(): number;
  sleep(ms: number): Promise<void>;
}

const SCRIPT_INTERPRETERS: Record<string, Interpreter> = { '.ps1': 'powershell', '.sh': 'bash', '.bash': 'bash' };

async function commandText(c: ExecCommand): Promise<{ command: string; interpreter?: Interpreter }> {
  if (c.source.kind === 'text') return { command: c.source.text, interpreter: c.interpreter };
  const path = c.source.path;
  let command: string;
  try {
    command = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(EX_NOINPUT, `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return { command, interpreter: c.interpreter ?? SCRIPT_INTERPRETERS[extname(path).toLowerCase()] };
}

/** A remote exit code as a process exit code: out-of-range codes (Windows NTSTATUS, negatives) → 1. */
export function localExitCode(code: number | null): number {
  if (code === null) return 1;
  return code >= 0 && code <= MAX_EXIT_CODE ? code : 1;
}

/** Runs `hydracluster exec`; resolves with the exit code (the CLI's own failures are thrown). */
export async function runExec(c: ExecCommand, api: Api, io: ExecIo): Promise<number> {
  const { command, interpreter } = await commandText(c);
  const sent = await api.call('POST', `/nodes/${seg(c.nodeId)}/exec`, { command, timeout_s: c.timeoutS, interpreter });
  const deadline = io.now() + (c.timeoutS ?? DEFAULT_WAIT_S) * MS_PER_S + REPORT_GRACE_MS;
  const submitted = readSubmitReply(sent.body);
  if (!submitted) throw await unexpectedReply('submit', sent.body);
  const { id } = submitted;
  if (c.async) {
    io.stdout.write(c.json ? printableJson({ id }, 0) : `${printable(id)}\n`);
    return 0;
  }
  const resultPath = `/nodes/${seg(c.nodeId)}/exec/${seg(id)}/result`;
  const outcome = await waitForResult(api, resultPath, deadline, io);
  if (outcome.finished) return report(c.json, outcome.raw, outcome.result, io);
  return gaveUp(c, api, id, outcome.pending, io);
}

/**
 * The deadline passed. A running exec goes on: say how to follow or cancel it. One never delivered
 * is cancelled, so that a retried non-idempotent command cannot run twice; the server says why it
 * never reached the node. 409: it finished meanwhile, and its result is printed after all.
 */
async function gaveUp(c: ExecCommand, api: Api, id: string, pending: ExecPendingView, io: ExecIo): Promise<number> {
  const shown = printable(id);
  if (pending.state === 'delivered') {
    if (c.json) io.stdout.write(printableJson({ id, ...pending }, 0));
    io.stderr.write(`hydracluster: no result within the timeout; exec ${shown} is still running on the node: follow it with \`hydracluster result ${shown} --wait\`, stop it with \`hydracluster cancel ${shown}\`\n`);
    return EX_TIMEOUT;
  }
  const path = `/nodes/${seg(c.nodeId)}/exec/${seg(id)}`;
  const r = await api.call('DELETE', path, undefined, { allow: [409] });
  if (r.status === 409) {
    const again = await api.call('GET', `${path}/result`);
    const result = again.status === 200 ? readResult(again.body) : null;
    if (result) return report(c.json, again.body, result, io);
  }
  if (c.json) io.stdout.write(printableJson(r.body, 0));
  io.stderr.write(`hydracluster: no result within the timeout: ${cancelText(id, readCancelNote(r.body))}\n`);
  return EX_TIMEOUT;
}

type Outcome = { finished: true; result: ExecResultView; raw: unknown } | { finished: false; pending: ExecPendingView };

/**
 * Long-polls the result, one request at a time, each asking to be held for the time left (at most
 * MAX_WAIT_S), until it is finished or `deadline` has passed. A 202 that was not held (an older
 * server that ignores ?wait, or one shutting down) is followed by a growing pause, not at once.
 */
async function waitForResult(api: Api, resultPath: string, deadline: number, io: ExecIo): Promise<Outcome> {
  let backoff = FALLBACK_FIRST_MS;
  for (;;) {
    const waitS = Math.min(MAX_WAIT_S, Math.max(1, Math.ceil((deadline - io.now()) / MS_PER_S)));
    const asked = io.now();
    const r = await api.call('GET', `${resultPath}?wait=${waitS}`, undefined, { timeoutMs: waitS * MS_PER_S + WAIT_MARGIN_MS });
    if (r.status === 200) {
      const result = readResult(r.body);
      if (!result) throw await unexpectedReply('result', r.body);
      return { finished: true, result, raw: r.body };
    }
    const pending = readPending(r.body);
    if (!pending) throw await unexpectedReply('pending', r.body);
    const now = io.now();
    if (now >= deadline) return { finished: false, pending };
    if (now - asked < waitS * MS_PER_S * HELD_SHARE) {
      await io.sleep(Math.min(backoff, deadline - now));
      backoff = Math.min(backoff * 2, FALLBACK_MAX_MS);
    } else {
      backoff = FALLBACK_FIRST_MS;
    }
  }
}

/** Prints a finished exec; `raw` is the server's body, printed as-is for --json (newer fields kept). */
export function report(json: boolean, raw: unknown, res: ExecResultView, io: ExecIo): number {
  if (json) {
    io.stdout.write(printableJson(raw));
    return 0;
  }
  io.stdout.write(res.stdout); // the remote command's own output, byte for byte
  io.stderr.write(res.stderr);
  const id = printable(res.id);
  switch (res.status) {
    case 'done':
      return localExitCode(res.exit_code);
    case 'timed_out':
      io.stderr.write(`hydracluster: exec ${id} timed out on the node\n`);
      return EX_TIMEOUT;
    case 'expired':
      io.stderr.write(`hydracluster: exec ${id} expired: the node never fetched it\n`);
      return EX_TIMEOUT;
    case 'cancelled':
      io.stderr.write(`hydracluster: exec ${id} was cancelled\n`);
      return EX_SOFTWARE;
  }
}
