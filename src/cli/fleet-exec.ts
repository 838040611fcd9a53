/**
 * `hydracluster exec --where KEY=VALUE "<command>"` (docs/api.md#fleet-exec, docs/operations.md#the-cli): one command on every node the
 * target selects. Each node's output is printed as it arrives, every line prefixed with the node's
 * name (stderr lines on stderr), then one summary line: `12 ok, 1 failed, 0 timed out, 2 skipped`.
 * Before waiting it says on stderr which batch went to which nodes, so a failure while waiting (a
 * server restart) still leaves the operator knowing where the command may have run.
 * It follows the batch with `GET /exec/batches/{id}?wait=N&since=K` (each answer: the members that
 * finished after the K-th, one page of at most 16 Mi characters of output; `more` says the next
 * page is ready at once), so results show up the moment they come, with no polling interval.
 * Exit: 0 when every member exited 0, 1 when any failed (a non-zero exit, or cancelled), 124 when
 * any timed out (or expired, or was still pending at the CLI's deadline: named) and none failed;
 * 66 when no node matched the target, 1 when every node that matched was skipped.
 * `--json` prints the batch object once it finished (0), or as it stands at the deadline (124),
 * page by page (`?offset=`), never as one string.
 */
import { batchSubmitReply, batchView, type BatchMember, type BatchSubmitReply, type BatchView } from '../wire/index.js';
import { seg, type Api } from './client.js';
import { CliError } from './errors.js';
import type { ExecIo } from './exec.js';
import { DEFAULT_WAIT_S, REPORT_GRACE_MS } from './exec.js';
import type { Out } from './output.js';
import { printable, printableJson } from './printable.js';
import { EX_NOINPUT, EX_SOFTWARE, EX_TIMEOUT } from '../sysexits.js';
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

/** One batch followed until it finished or `deadline`. */
interface Follow {
  api: Api;
  io: ExecIo;
  path: string;
  deadline: number;
}

/** The long-poll's `wait` for what is left of the CLI's own deadline. */
function waitLeft(f: Follow): { wait: number; left: number } {
  const left = f.deadline - f.io.now();
  return { left, wait: Math.max(0, Math.min(FOLLOW_WAIT_S, Math.ceil(left / MS_PER_S))) };
}

const getView = async (f: Follow, query: string): Promise<BatchView> => parseView((await f.api.call('GET', `${f.path}${query}`)).body);

/** Runs a fleet exec; resolves with the exit code (the CLI's own failures are thrown). */
export async function runFleetExec(c: FleetExecCommand, api: Api, io: ExecIo): Promise<number> {
  const sent = await api.call('POST', '/exec', { command: c.command, timeout_s: c.timeoutS, interpreter: c.interpreter, target: c.target });
  const sub = batchSubmitReply.safeParse(sent.body);
  if (!sub.success) throw new CliError(EX_SOFTWARE, 'the server answered the submit without a batch id');
  const { batch_id: id, execs } = sub.data;
  const path = `/exec/batches/${seg(id)}`;
  if (execs.length === 0) return nothingSent(c, sub.data, io);
  announce(sub.data, io);
  if (!c.json) for (const s of sub.data.skipped) io.stderr.write(`${printable(`${s.name ?? s.node_id}: skipped (${s.reason})`)}\n`);
  const f: Follow = { api, io, path, deadline: io.now() + (c.timeoutS ?? DEFAULT_WAIT_S) * MS_PER_S + REPORT_GRACE_MS };
  try {
    return c.json ? await followJson(f) : await followLines(f, sub.data);
  } catch (e) {
    if (!(e instanceof CliError) || execs.length === 0) throw e;
    throw new CliError(
      e.exitCode,
      `${e.message}; batch ${id} had been sent to ${execs.length} node(s) (listed above) and may have run there: ` +
        `GET /api/v1${path} shows it while the server keeps it (result_ttl_s after it finished; a restarted server has forgotten it)`,
    );
  }
}

/**
 * No node got the command (docs/api.md#exec): no node matched the target at all (66, said so), or every
 * node that matched was skipped (1, each with its reason). `--json` still prints the submit reply.
 */
function nothingSent(c: FleetExecCommand, sub: BatchSubmitReply, io: ExecIo): number {
  if (c.json) io.stdout.write(printableJson(sub));
  if (sub.skipped.length === 0) {
    io.stderr.write(`hydracluster: no node matches the target ${printable(JSON.stringify(c.target))}: the command ran nowhere (hydracluster nodes list shows the fleet)\n`);
    return EX_NOINPUT;
  }
  for (const s of sub.skipped) io.stderr.write(`${printable(`${s.name ?? s.node_id}: skipped (${s.reason}${s.message ? `: ${s.message}` : ''})`)}\n`);
  io.stderr.write(`hydracluster: ${sub.skipped.length} node(s) matched, every one skipped: the command ran nowhere\n`);
  return EXIT_FAILED;
}

/** Says on stderr, before any wait, which batch went to which nodes. */
function announce(sub: BatchSubmitReply, io: ExecIo): void {
  const names = sub.execs.map((e) => e.name ?? e.node_id);
  io.stderr.write(`hydracluster: batch ${printable(sub.batch_id)} sent to ${names.length} node(s)${names.length > 0 ? `: ${printable(names.join(', '))}` : ''}\n`);
}

/** Prints each member as it finishes (page by page), then the summary line; names the members still pending at the deadline. */
async function followLines(f: Follow, sub: BatchSubmitReply): Promise<number> {
  const { io } = f;
  const t: Tally = { ok: 0, failed: 0, timedOut: 0, skipped: sub.skipped.length };
  const done = new Set<string>();
  let cursor = 0;
  let view: BatchView;
  for (;;) {
    const { wait, left } = waitLeft(f);
    view = await getView(f, `?wait=${wait}&since=${cursor}`);
    for (const m of view.results) {
      done.add(m.id);
      printMember(m, io, t);
    }
    cursor = view.cursor;
    // A page that stopped short: the rest has finished already and is answered at once.
    if (view.more) continue;
    if (view.state === 'finished' || left <= 0) break;
  }
  const pending = view.total - view.finished;
  t.timedOut += pending;
  if (pending > 0) {
    const names = sub.execs.filter((e) => !done.has(e.id)).map((e) => e.name ?? e.node_id);
    io.stderr.write(`hydracluster: ${pending} still pending at the timeout: ${printable(names.join(', '))}; batch ${printable(view.batch_id)} (GET /api/v1${f.path})\n`);
  }
  io.stdout.write(`${t.ok} ok, ${t.failed} failed, ${t.timedOut} timed out, ${t.skipped} skipped\n`);
  if (t.failed > 0) return EXIT_FAILED;
  return t.timedOut > 0 ? EX_TIMEOUT : 0;
}

/**
 * `--json`: waits for the end (or the deadline), then prints the batch object as
 * `JSON.stringify(batch, null, 2)` would, its `results` written page by page (`?offset=`).
 */
async function followJson(f: Follow): Promise<number> {
  let view: BatchView;
  for (;;) {
    const { wait, left } = waitLeft(f);
    view = await getView(f, `?wait=${wait}`);
    if (view.state === 'finished' || left <= 0) break;
  }
  const out = f.io.stdout;
  const shell = safeJson({ ...view, results: [], more: false, next_offset: null });
  // Top-level keys are the only unescaped quotes: `"results": []` appears once, as the key.
  const at = shell.indexOf(RESULTS_KEY);
  out.write(`${shell.slice(0, at)}"results": [`);
  let page = view;
  let first = true;
  for (;;) {
    for (const m of page.results) {
      out.write(`${first ? '' : ','}\n    ${safeJson(m).replace(/\n/g, '\n    ')}`);
      first = false;
    }
    if (!page.more || page.next_offset === null) break;
    page = await getView(f, `?offset=${page.next_offset}`);
  }
  out.write(`${first ? '' : '\n  '}]${shell.slice(at + RESULTS_KEY.length)}\n`);
  return view.total - view.finished > 0 ? EX_TIMEOUT : 0;
}

const RESULTS_KEY = '"results": []';
/** Indented JSON with invisible characters written as `\uXXXX` (see printableJson), no final newline. */
const safeJson = (v: unknown): string => printableJson(v).slice(0, -1);
