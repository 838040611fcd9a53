/**
 * Delivering an exec result (docs/api.md#exec `POST /body/exec/result`): retried with exponential backoff
 * and jitter until the server answers 2xx, because a result is the one thing an operator waits
 * for. A 404 means the server forgot the exec (its queue is in memory and it restarted): logged and
 * dropped.
 *
 * The streams were already cut at the server's `max_output_bytes`, so a result normally fits the
 * server's result body limit (`max_body_bytes` + 2 × `max_output_bytes`). It can still be refused
 * with 413 — output made of control characters is up to six times longer once JSON-escaped, or the
 * agent did not know the server's limit yet. Then the output is given up, not the result: it is
 * posted again with both streams emptied and flagged truncated, so the operator still gets the exit
 * code, and the agent's log says so.
 */
import type { Logger } from '../log.js';
import type { ExecResultBody } from '../wire/exec.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, SERVER_BACKOFF, sleep, type BackoffOptions } from './backoff.js';

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

/** The result without its output; a stream that had any is flagged truncated. */
export function withoutOutput(r: ExecResultBody): ExecResultBody {
  return {
    ...r,
    stdout: '',
    stderr: '',
    stdout_truncated: r.stdout_truncated || r.stdout !== '',
    stderr_truncated: r.stderr_truncated || r.stderr !== '',
  };
}

/** Posts `result` until the server takes it, drops it (404, 400), or the agent stops. */
export async function deliverResult(result: ExecResultBody, deps: ResultDeps): Promise<Delivery> {
  const { client, log, signal } = deps;
  const backoff = new Backoff(deps.backoff ?? SERVER_BACKOFF);
  const fields = { exec_id: result.id };
  let body = result;
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
      if (e.status === 413 && body === result) {
        log.error('exec result too large for the server (413): posting it again without its output, flagged truncated, so the exit code still arrives', {
          ...fields,
          body_bytes: Buffer.byteLength(JSON.stringify(result), 'utf8'),
          stdout_bytes: Buffer.byteLength(result.stdout, 'utf8'),
          stderr_bytes: Buffer.byteLength(result.stderr, 'utf8'),
          error: e.message,
        });
        body = withoutOutput(result);
        continue;
      }
      if (e.status === 400 || e.status === 413) {
        log.error('exec result refused by the server as invalid; dropped', { ...fields, status: e.status, error: e.message });
        return 'dropped';
      }
      const delay = backoff.next();
      log.warn('exec result not delivered; retrying', { ...fields, status: e.status, error: e.message, attempt: backoff.failures, retry_in_ms: delay });
      await sleep(delay, signal);
    }
  }
}
