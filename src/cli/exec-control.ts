/**
 * `hydracluster cancel EXEC_ID` and `hydracluster result EXEC_ID [--wait]` (docs/api.md#exec): an exec
 * reached by its id alone (`DELETE`/`GET /execs/{execId}`). Replies are read zod-free
 * (./exec-replies.ts); what a cancel stopped is said by ./exec-notes.ts.
 */
import type { CancelCommand, ResultCommand } from './args.js';
import { seg, type Api } from './client.js';
import { report, type ExecIo } from './exec.js';
import { cancelText } from './exec-notes.js';
import { readCancelNote, readResult, unexpectedReply } from './exec-replies.js';
import { printable, printableJson } from './printable.js';
import { EX_TIMEOUT } from '../sysexits.js';
import { MAX_RESULT_WAIT_S } from '../wire/constants.js';

/** A long-poll request's own timeout is its wait plus this. */
const WAIT_MARGIN_MS = 10_000;
const MS_PER_S = 1000;

/** `hydracluster cancel EXEC_ID`. */
export async function runCancel(c: CancelCommand, api: Api, io: ExecIo): Promise<number> {
  const r = await api.call('DELETE', `/execs/${seg(c.execId)}`);
  io.stdout.write(c.json ? printableJson(r.body) : `${cancelText(c.execId, readCancelNote(r.body))}\n`);
  return 0;
}

/**
 * `hydracluster result EXEC_ID [--wait]`: the finished exec printed as `exec` prints it (its output
 * and exit code). Without --wait, an exec not finished yet says where it stands and exits 124; with
 * --wait, the CLI long-polls until it is finished and no kill report is awaited.
 */
export async function runResult(c: ResultCommand, api: Api, io: ExecIo): Promise<number> {
  const path = `/execs/${seg(c.execId)}`;
  for (;;) {
    const wait = c.wait ? MAX_RESULT_WAIT_S : 0;
    const r = await api.call('GET', `${path}?wait=${wait}`, undefined, { timeoutMs: wait * MS_PER_S + WAIT_MARGIN_MS });
    const v = r.body as { node_id?: unknown; status?: unknown; position?: unknown; delivered_at?: unknown; kill?: unknown; result?: unknown } | null;
    if (!v || typeof v.status !== 'string') throw await unexpectedReply('result', v);
    const settled = v.result !== null && v.result !== undefined && v.kill !== 'awaited';
    if (c.wait && !settled) continue;
    if (c.json) {
      io.stdout.write(printableJson(r.body));
      return settled ? 0 : EX_TIMEOUT;
    }
    if (v.result === null || v.result === undefined) {
      const where = v.status === 'queued' ? `is queued on ${printable(String(v.node_id))} (position ${String(v.position)})` : `is running on ${printable(String(v.node_id))} since ${printable(String(v.delivered_at))}`;
      io.stderr.write(`hydracluster: exec ${printable(c.execId)} ${where}; wait for it with --wait\n`);
      return EX_TIMEOUT;
    }
    const result = readResult(v.result);
    if (!result) throw await unexpectedReply('result', v.result);
    return report(false, v.result, result, io);
  }
}
