/**
 * The cancel channel (docs/api.md#exec): while an exec runs, the agent holds
 * `GET /body/exec/{execId}/cancel?wait=25` beside it, so that a cancel reaches it within a moment
 * (its heartbeat comes every 30 s, and it polls for execs only between them). 204: still running,
 * asked again; 200 `{"cancelled": true}`: kill the command; `{"cancelled": false}`: the exec ended
 * otherwise, stop listening. A server that does not know the channel (404: an older server, or one
 * that restarted and forgot the exec) ends the watch: the exec then runs to its end as before.
 */
import type { Logger } from '../log.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, sleep, type BackoffOptions } from './backoff.js';

/** The channel's long-poll wait, as the exec poll's. */
export const CANCEL_WATCH_WAIT_S = 25;
/** A 204 that came back sooner than this was not held (a proxy in the way): pause before asking again. */
const MIN_HELD_MS = 1000;
/** Transport failures are retried this way (a cancel must still reach a long exec after a blip). */
const WATCH_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 15_000 };
/** Answers that say the channel is not there: asking again would not help. */
const GIVE_UP = new Set([400, 401, 403, 404, 405]);

export interface CancelWatchDeps {
  client: ApiClient;
  log: Logger;
  waitS?: number;
  backoff?: BackoffOptions;
}

/**
 * Watches `execId` until `signal` aborts (the run ended) or the server answers; calls `onCancel`
 * when the exec was cancelled. Never rejects.
 */
export async function watchCancel(execId: string, signal: AbortSignal, onCancel: () => void, deps: CancelWatchDeps): Promise<void> {
  const backoff = new Backoff(deps.backoff ?? WATCH_BACKOFF);
  const waitS = deps.waitS ?? CANCEL_WATCH_WAIT_S;
  while (!signal.aborted) {
    const asked = Date.now();
    try {
      const r = await deps.client.cancelWatch(execId, waitS, signal);
      backoff.reset();
      if (r?.cancelled) {
        deps.log.info('exec cancelled by the server: killing its process group', { exec_id: execId });
        onCancel();
      }
      if (r) return;
      if (Date.now() - asked < MIN_HELD_MS && waitS > 0) await sleep(MIN_HELD_MS, signal);
    } catch (e) {
      if (signal.aborted) return;
      const status = e instanceof ApiError ? e.status : null;
      if (status !== null && GIVE_UP.has(status)) {
        deps.log.debug('exec cancel channel not available: the exec runs to its end', { exec_id: execId, status });
        return;
      }
      await sleep(backoff.next(), signal);
    }
  }
}
