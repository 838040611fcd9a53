/**
 * `hydracluster exec`: submit one command to a node's exec queue, then poll its result (the agent
 * long-polls, so results come fast) and behave like the remote command: its stdout on stdout,
 * its stderr on stderr, its exit code. `--json` prints the result object instead; `--async`
 * prints the exec id and returns; `--timeout` elapsed: 124 and the exec id, to fetch it later.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { z } from 'zod';
import type { ExecCommand, Interpreter } from './args.js';
import { CliError, EX_NOINPUT, EX_SOFTWARE, EX_TIMEOUT, seg, type Api } from './client.js';

/** How long the CLI waits when no --timeout was given (the server's default timeout_s). */
export const DEFAULT_WAIT_S = 60;
/** Beyond --timeout, time for the agent's own timed_out report (with partial output) to arrive. */
export const REPORT_GRACE_MS = 1000;
export const FIRST_POLL_MS = 100;
export const MAX_POLL_MS = 1000;
const POLL_BACKOFF = 2;
const MAX_EXIT_CODE = 255;
const MS_PER_S = 1000;

export interface Out {
  write(text: string): unknown;
}

/** The CLI's outputs and time, injected so the polling loop is tested without sleeping. */
export interface ExecIo {
  stdout: Out;
  stderr: Out;
  now(): number;
  sleep(ms: number): Promise<void>;
}

const submitted = z.object({ id: z.string() });
const finished = z
  .object({
    id: z.string(),
    status: z.enum(['done', 'timed_out', 'cancelled', 'expired']),
    exit_code: z.number().nullable(),
    stdout: z.string(),
    stderr: z.string(),
  })
  .passthrough();

const pendingShape = z.object({ status: z.literal('pending'), state: z.string(), position: z.number().nullable() });

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
  const parsedId = submitted.safeParse(sent.body);
  if (!parsedId.success) throw new CliError(EX_SOFTWARE, 'the server answered the submit without an exec id');
  const id = parsedId.data.id;
  if (c.async) {
    io.stdout.write(c.json ? `${JSON.stringify({ id })}\n` : `${id}\n`);
    return 0;
  }

  const deadline = io.now() + (c.timeoutS ?? DEFAULT_WAIT_S) * MS_PER_S + REPORT_GRACE_MS;
  let interval = FIRST_POLL_MS;
  for (;;) {
    const r = await api.call('GET', `/nodes/${seg(c.nodeId)}/exec/${seg(id)}/result`);
    if (r.status === 200) return report(c, r.body, io);
    const left = deadline - io.now();
    if (left <= 0) {
      const p = pendingShape.safeParse(r.body);
      if (c.json) io.stdout.write(`${JSON.stringify({ id, ...(p.success ? p.data : { status: 'pending' }) })}\n`);
      io.stderr.write(`hydracluster: no result within the timeout; exec id ${id} (result: GET /api/v1/nodes/${c.nodeId}/exec/${id}/result)\n`);
      return EX_TIMEOUT;
    }
    await io.sleep(Math.min(interval, left));
    interval = Math.min(interval * POLL_BACKOFF, MAX_POLL_MS);
  }
}

function report(c: ExecCommand, body: unknown, io: ExecIo): number {
  const r = finished.safeParse(body);
  if (!r.success) throw new CliError(EX_SOFTWARE, 'the server answered the result in an unexpected shape');
  const res = r.data;
  if (c.json) {
    io.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    return 0;
  }
  io.stdout.write(res.stdout);
  io.stderr.write(res.stderr);
  switch (res.status) {
    case 'done':
      return localExitCode(res.exit_code);
    case 'timed_out':
      io.stderr.write(`hydracluster: exec ${res.id} timed out on the node\n`);
      return EX_TIMEOUT;
    case 'expired':
      io.stderr.write(`hydracluster: exec ${res.id} expired: the node never fetched it\n`);
      return EX_TIMEOUT;
    case 'cancelled':
      io.stderr.write(`hydracluster: exec ${res.id} was cancelled\n`);
      return EX_SOFTWARE;
  }
}
