/**
 * Delivering an exec result (SPEC §5 `POST /body/exec/result`): retried with exponential backoff
 * and jitter until the server answers 2xx, because a result is the one thing an operator waits
 * for. A 404 means the server forgot the exec (its queue is in memory and it restarted): logged and
 * dropped. A 413 means the body is over the server's `max_body_bytes`: the output is cut further.
 */
import type { Logger } from '../log.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, SERVER_BACKOFF, sleep, type BackoffOptions } from './backoff.js';
import type { ExecResultPost } from './wire.js';

/** The server's default max_body_bytes is 1 MiB for the whole post; stay clearly under it. */
export const RESULT_BODY_BUDGET_BYTES = 960 * 1024;
/** Below this a 413 is not an output problem: give up cutting. */
const MIN_RESULT_BODY_BYTES = 4 * 1024;
const UTF8_CONTINUATION_MASK = 0xc0;
const UTF8_CONTINUATION = 0x80;
const FIT_TRAILER = '\n[hydranode: output cut to fit the result post]\n';

/** How a delivery ended: taken by the server, dropped (404, invalid), or abandoned at shutdown. */
export type Delivery = 'delivered' | 'dropped' | 'abandoned';

/** What {@link deliverResult} needs. */
export interface ResultDeps {
  client: ApiClient;
  log: Logger;
  backoff?: BackoffOptions;
  /** Aborted when the agent stops: the loop gives up (the server times the exec out itself). */
  signal?: AbortSignal;
}

/** The first `maxBytes` of `text` in UTF-8, never cut inside a character. */
function headUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  while (end > 0 && (buf[end]! & UTF8_CONTINUATION_MASK) === UTF8_CONTINUATION) end--;
  return buf.toString('utf8', 0, end);
}

const bodyBytes = (r: ExecResultPost): number => Buffer.byteLength(JSON.stringify(r), 'utf8');

/** The result with its longer stream halved until the JSON body fits `budget` bytes. */
export function fitResult(result: ExecResultPost, budget: number): ExecResultPost {
  let r = result;
  while (bodyBytes(r) > budget && (r.stdout.length > 0 || r.stderr.length > 0)) {
    const key = Buffer.byteLength(r.stdout) >= Buffer.byteLength(r.stderr) ? 'stdout' : 'stderr';
    const half = Math.floor(Buffer.byteLength(r[key]) / 2);
    const cut = half < FIT_TRAILER.length ? '' : headUtf8(r[key], half - FIT_TRAILER.length) + FIT_TRAILER;
    r = { ...r, [key]: cut };
  }
  return r;
}

/** Posts `result` until the server takes it, drops it (404, 400), or the agent stops. */
export async function deliverResult(result: ExecResultPost, deps: ResultDeps): Promise<Delivery> {
  const { client, log, signal } = deps;
  const backoff = new Backoff(deps.backoff ?? SERVER_BACKOFF);
  const fields = { exec_id: result.id };
  let budget = RESULT_BODY_BUDGET_BYTES;
  let body = fitResult(result, budget);
  for (;;) {
    if (signal?.aborted) {
      log.warn('exec result not delivered: the agent is stopping (the server will time the exec out)', fields);
      return 'abandoned';
    }
    try {
      await client.postExecResult(body, signal);
      if (backoff.failures > 0) log.info('exec result delivered after retries', { ...fields, attempts: backoff.failures + 1 });
      return 'delivered';
    } catch (caught) {
      // Anything that is not an answer from the server counts as "server away".
      const e = caught instanceof ApiError ? caught : new ApiError(null, 'network', (caught as Error).message);
      if (e.status === 404) {
        log.warn('exec result dropped: the server does not know this exec (it restarted, or the node was re-created)', { ...fields, error: e.message });
        return 'dropped';
      }
      if (e.status === 413 && budget > MIN_RESULT_BODY_BYTES) {
        budget = Math.floor(budget / 2);
        body = fitResult(result, budget);
        log.warn('exec result too large for the server; cutting its output', { ...fields, budget_bytes: budget });
        continue;
      }
      if (e.status === 400 || e.status === 413) {
        log.error('exec result refused by the server as invalid; dropped', { ...fields, error: e.message });
        return 'dropped';
      }
      const delay = backoff.next();
      log.warn('exec result not delivered; retrying', { ...fields, status: e.status, error: e.message, attempt: backoff.failures, retry_in_ms: delay });
      await sleep(delay, signal);
    }
  }
}
