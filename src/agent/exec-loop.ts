/**
 * Remote exec on the node (docs/api.md#exec, runbook "Structured Exec"): waits in the long-poll
 * `GET /body/exec?wait=25`, runs each exec in its interpreter with its timeout, and delivers the
 * result. One exec at a time, in the order the server hands them out (the queue is FIFO). Beside
 * the running exec it holds the exec's cancel channel (./cancel-watch.ts): a cancel kills the
 * process group and the result goes out with `"cancelled": true` and the output so far.
 */
import type { Logger } from '../log.js';
import type { ExecDelivery, ExecResultBody } from '../wire/exec.js';
import { capUtf8 } from '../wire/utf8.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, RETRY_JITTER, SERVER_BACKOFF, UNAUTHORIZED_RETRY_MS, jittered, sleep, type BackoffOptions } from './backoff.js';
import { watchCancel } from './cancel-watch.js';
import { deliverResult } from './exec-result.js';
import { launchFor, notStarted, runCommand, type Interpreters, type RunOutcome } from './exec-runner.js';
import type { ServerLimits } from './limits.js';

/** Long-poll wait (docs/api.md#exec allows 0–30 s); under typical proxies' 30 s idle limits. */
export const EXEC_POLL_WAIT_S = 25;
/** At shutdown, a result still undelivered after the exec is given this long, then abandoned. */
export const RESULT_SHUTDOWN_GRACE_MS = 2000;

/** What the exec loop needs; `backoff`, `waitS` and `unauthorizedRetryMs` are for tests. */
export interface ExecLoopDeps {
  client: ApiClient;
  log: Logger;
  interpreters: Interpreters;
  /** Environment of the commands (the agent's own). */
  env: NodeJS.ProcessEnv;
  /** The server's limits as last told; each exec's streams are cut at `maxOutputBytes`. */
  limits: Pick<ServerLimits, 'maxOutputBytes'>;
  backoff?: BackoffOptions;
  waitS?: number;
  /** The cancel channel's long-poll wait (tests). */
  cancelWaitS?: number;
  unauthorizedRetryMs?: number;
}

const STOP_NOTE = '\n[hydranode: the agent was stopping; the command was killed]\n';
const CANCEL_NOTE = '\n[hydranode: the exec was cancelled; the command was killed]\n';

/**
 * The wire form of a run's outcome. A command killed because the agent stopped or the exec was
 * cancelled gets a line saying so at the end of stderr, within the same `maxBytes` (the command's
 * own output comes first); a cancelled one is flagged `cancelled` (docs/api.md#exec).
 */
export function resultBody(id: string, o: RunOutcome, maxBytes: number, cancelled = false): ExecResultBody {
  const note = o.aborted ? (cancelled ? CANCEL_NOTE : STOP_NOTE) : null;
  const stderr = note ? capUtf8(o.stderr + note, maxBytes) : { text: o.stderr, truncated: false };
  return {
    id,
    exit_code: o.exitCode,
    stdout: o.stdout,
    stderr: stderr.text,
    started_at: o.startedAt,
    finished_at: o.finishedAt,
    timed_out: o.timedOut,
    stdout_truncated: o.stdoutTruncated,
    stderr_truncated: o.stderrTruncated || stderr.truncated,
    ...(cancelled ? { cancelled: true } : {}),
  };
}

/** The long-poll loop: start() once, stop(grace) at shutdown. */
export class ExecLoop {
  /** Stops the long-poll. */
  private readonly stopping = new AbortController();
  /** Kills the running exec's process group. */
  private readonly killing = new AbortController();
  /** Abandons result delivery. */
  private readonly giveUp = new AbortController();
  private loop: Promise<void> | null = null;
  private current: string | null = null;
  private executed = 0;

  constructor(private readonly deps: ExecLoopDeps) {}

  /** The exec running now, if any (a diagnostic). */
  get runningExec(): string | null {
    return this.current;
  }

  get execsRun(): number {
    return this.executed;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops polling; a running exec gets `graceMs` to finish, then is killed and reported. */
  async stop(graceMs: number): Promise<void> {
    this.stopping.abort();
    const loop = this.loop ?? Promise.resolve();
    const finished = await Promise.race([loop.then(() => true), sleep(graceMs).then(() => false)]);
    if (finished) return;
    this.killing.abort();
    await Promise.race([loop, sleep(RESULT_SHUTDOWN_GRACE_MS)]);
    this.giveUp.abort();
    await loop;
  }

  private async run(): Promise<void> {
    const { client, log } = this.deps;
    const backoff = new Backoff(this.deps.backoff ?? SERVER_BACKOFF);
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let order: ExecDelivery | null;
      try {
        order = await client.nextExec(this.deps.waitS ?? EXEC_POLL_WAIT_S, signal);
        if (backoff.failures > 0) log.info('exec poll works again', { after_failures: backoff.failures });
        backoff.reset();
      } catch (e) {
        if (signal.aborted) break;
        const status = e instanceof ApiError ? e.status : null;
        const refused = status === 401 || status === 403;
        const delay = refused ? jittered(this.deps.unauthorizedRetryMs ?? UNAUTHORIZED_RETRY_MS, RETRY_JITTER) : backoff.next();
        const fields = { status, error: (e as Error).message, retry_in_ms: delay };
        if (refused || backoff.failures === 1) log.warn('exec poll failed', fields);
        else log.debug('exec poll failed', fields);
        await sleep(delay, signal);
        continue;
      }
      if (order) await this.execute(order);
    }
  }

  private async execute(order: ExecDelivery): Promise<void> {
    const { log, interpreters } = this.deps;
    this.current = order.id;
    this.executed++;
    log.info('exec started', { exec_id: order.id, interpreter: order.interpreter, timeout_s: order.timeout_s, command_chars: order.command.length });
    // The limit at the start of the run holds for the whole run (memory is bounded by it).
    const maxOutputBytes = this.deps.limits.maxOutputBytes;
    const launch = launchFor(order.interpreter, order.command, interpreters);
    const cancel = new AbortController();
    const ran = new AbortController();
    const watching = 'error' in launch ? null : watchCancel(order.id, ran.signal, () => cancel.abort(), { client: this.deps.client, log, waitS: this.deps.cancelWaitS, backoff: this.deps.backoff });
    const outcome =
      'error' in launch
        ? notStarted(launch.error)
        : await runCommand({
            launch,
            timeoutMs: order.timeout_s * 1000,
            maxOutputBytes,
            env: this.deps.env,
            signal: AbortSignal.any([this.killing.signal, cancel.signal]),
          });
    ran.abort();
    await watching;
    // Cancelled even if the command ended by itself meanwhile: the report then keeps its whole output.
    const cancelled = cancel.signal.aborted;
    log.info('exec finished', {
      exec_id: order.id,
      exit_code: outcome.exitCode,
      timed_out: outcome.timedOut,
      killed_at_stop: outcome.aborted && !cancelled,
      cancelled,
      duration_ms: outcome.durationMs,
      stdout_bytes: Buffer.byteLength(outcome.stdout),
      stderr_bytes: Buffer.byteLength(outcome.stderr),
      stdout_truncated: outcome.stdoutTruncated,
      stderr_truncated: outcome.stderrTruncated,
      max_output_bytes: maxOutputBytes,
    });
    await deliverResult(resultBody(order.id, outcome, maxOutputBytes, cancelled), {
      client: this.deps.client,
      log,
      backoff: this.deps.backoff,
      signal: this.giveUp.signal,
    });
    this.current = null;
  }
}
