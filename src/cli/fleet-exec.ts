/**
 * `hydracluster exec --where KEY=VALUE "<command>"` (SPEC §6b, §12): one command on every node the
 * target selects. Each node's output is printed as it arrives, every line prefixed with the node's
 * name (stderr lines on stderr), then one summary line: `12 ok, 1 failed, 0 timed out, 2 skipped`.
 * It follows the batch with `GET /exec/batches/{id}?wait=N&since=K` (each answer: the members that
 * finished after the K-th), so results show up the moment they come, with no polling interval.
 * Exit: 0 when every member exited 0, 1 when any failed (a non-zero exit, or cancelled), 124 when
 * any timed out (or expired, or was still pending at the CLI's deadline) and none failed.
 * `--json` prints the batch object once it finished (0), or as it stands at the deadline (124).
 */
import { batchSubmitReply, batchView, type BatchMember, type BatchView } from '../wire/index.js';
import { seg, type Api } from './client.js';
import { CliError } from './errors.js';
import type { ExecIo } from './exec.js';
import { DEFAULT_WAIT_S, REPORT_GRACE_MS } from './exec.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import { EX_SOFTWARE, EX_TIMEOUT } from '../sysexits.js';
import type { FleetExecCommand } from './where.js';

/** One long-poll's wait: below the client's per-request timeout (10 s). */
export const FOLLOW_WAIT_S = 8;
const MS_PER_S = 1000;
const EXIT_FAILED = 1;

interface Tally {
  ok: number;
  failed: number;
  timedOut: number;
  skipped: number;
}

/** Writes `text` line by line, each prefixed; a last line without a newline gets one. The lines are the command's own output. */
function prefixed(out: Out, name: string, text: string): void {
  if (text === '') return;
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  out.write(lines.map((l) => `${name}: ${l}\n`).join(''));
}

/** Prints one finished member and counts it. */
function printMember(m: BatchMember, io: ExecIo, t: Tally): void {
  const name = printable(m.name);
  prefixed(io.stdout, name, m.stdout);
  prefixed(io.stderr, name, m.stderr);
  if (m.status === 'done' && m.exit_code === 0) t.ok++;
  else if (m.status === 'done') {
    t.failed++;
    io.stderr.write(`${name}: (exit ${m.exit_code})\n`);
  } else if (m.status === 'cancelled') {
    t.failed++;
    io.stderr.write(`${name}: (cancelled)\n`);
  } else {
    t.timedOut++;
    io.stderr.write(`${name}: (${m.status === 'expired' ? 'expired: the node never fetched it' : 'timed out'})\n`);
  }
}

function parseView(body: unknown): BatchView {
  const r = batchView.safeParse(body);
  if (!r.success) throw new CliError(EX_SOFTWARE, 'the server answered the batch in an unexpected shape');
  return r.data;
}

/** Runs a fleet exec; resolves with the exit code (the CLI's own failures are thrown). */
export async function runFleetExec(c: FleetExecCommand, api: Api, io: ExecIo): Promise<number> {
  const sent = await api.call('POST', '/exec', { command: c.command, timeout_s: c.timeoutS, interpreter: c.interpreter, target: c.target });
  const sub = batchSubmitReply.safeParse(sent.body);
  if (!sub.success) throw new CliError(EX_SOFTWARE, 'the server answered the submit without a batch id');
  const { batch_id: id, skipped } = sub.data;
  const path = `/exec/batches/${seg(id)}`;
  const t: Tally = { ok: 0, failed: 0, timedOut: 0, skipped: skipped.length };
  if (!c.json) for (const s of skipped) io.stderr.write(`${printable(`${s.name ?? s.node_id}: skipped (${s.reason})`)}\n`);

  const deadline = io.now() + (c.timeoutS ?? DEFAULT_WAIT_S) * MS_PER_S + REPORT_GRACE_MS;
  let cursor = 0;
  let view: BatchView | null = null;
  for (;;) {
    const left = deadline - io.now();
    const wait = Math.max(0, Math.min(FOLLOW_WAIT_S, Math.ceil(left / MS_PER_S)));
    const query = c.json ? `?wait=${wait}` : `?wait=${wait}&since=${cursor}`;
    view = parseView((await api.call('GET', `${path}${query}`)).body);
    if (!c.json) for (const m of view.results) printMember(m, io, t);
    cursor = view.cursor;
    if (view.state === 'finished' || left <= 0) break;
  }
  const pending = view.total - view.finished;
  if (c.json) {
    io.stdout.write(printableJson(view));
    return pending > 0 ? EX_TIMEOUT : 0;
  }
  t.timedOut += pending;
  if (pending > 0) io.stderr.write(`hydracluster: ${pending} still pending at the timeout; batch ${printable(id)} (GET /api/v1${path})\n`);
  io.stdout.write(`${t.ok} ok, ${t.failed} failed, ${t.timedOut} timed out, ${t.skipped} skipped\n`);
  if (t.failed > 0) return EXIT_FAILED;
  return t.timedOut > 0 ? EX_TIMEOUT : 0;
}
