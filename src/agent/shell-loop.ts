/**
 * The shell beside the exec long-poll (docs/operations.md#the-agent): waits in `GET /body/shell/check?wait=25`, and
 * attaches to each session the moment it appears, each in its own PTY (a second shell while one
 * runs works). It shares nothing with the exec loop: a backed-up exec queue never delays a shell.
 */
import type { Logger } from '../log.js';
import type { ShellSession } from '../wire/shell.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, RETRY_JITTER, SERVER_BACKOFF, UNAUTHORIZED_RETRY_MS, jittered, sleep, type BackoffOptions } from './backoff.js';

export const SHELL_CHECK_WAIT_S = 25;
/** Sessions run at once on this node at most (the server limits per node too). */
export const MAX_AGENT_SESSIONS = 16;
/** When every offered session is already being attached, wait this long before asking again. */
const RECHECK_MS = 200;

export interface ShellLoopDeps {
  client: ApiClient;
  serverUrl: string;
  token: string;
  log: Logger;
  env: NodeJS.ProcessEnv;
  backoff?: BackoffOptions;
  waitS?: number;
}

export class ShellLoop {
  private readonly stopping = new AbortController();
  private readonly running = new Map<string, Promise<void>>();
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: ShellLoopDeps) {}

  /** Sessions running now (a diagnostic). */
  get sessions(): number {
    return this.running.size;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stops checking and ends every running session (each PTY's process group is killed). */
  async stop(): Promise<void> {
    this.stopping.abort();
    await Promise.all([this.loop, ...this.running.values()]);
  }

  private async run(): Promise<void> {
    const { client, log } = this.deps;
    const backoff = new Backoff(this.deps.backoff ?? SERVER_BACKOFF);
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let offered: ShellSession[];
      try {
        offered = await client.shellCheck(this.deps.waitS ?? SHELL_CHECK_WAIT_S, signal);
        backoff.reset();
      } catch (e) {
        if (signal.aborted) break;
        const status = e instanceof ApiError ? e.status : null;
        const refused = status === 401 || status === 403;
        const delay = refused ? jittered(UNAUTHORIZED_RETRY_MS, RETRY_JITTER) : backoff.next();
        if (refused || backoff.failures === 1) log.warn('shell check failed', { status, error: (e as Error).message, retry_in_ms: delay });
        await sleep(delay, signal);
        continue;
      }
      let started = 0;
      for (const s of offered) if (!this.running.has(s.id) && this.attach(s)) started++;
      if (offered.length > 0 && started === 0) await sleep(RECHECK_MS, signal);
    }
  }

  /** Starts a session's PTY; false when this node runs too many already. */
  private attach(session: ShellSession): boolean {
    const { log } = this.deps;
    if (this.running.size >= MAX_AGENT_SESSIONS) {
      log.warn('shell session refused: too many running on this node', { session_id: session.id, running: this.running.size });
      return false;
    }
    // shell-pty (ws, node-pty, the frame schemas) is loaded with the first session: an idle agent does without it.
    const run = import('./shell-pty.js')
      .then(({ runShellPty }) => runShellPty({ serverUrl: this.deps.serverUrl, token: this.deps.token, session, env: this.deps.env, log, signal: this.stopping.signal }))
      .catch((e: unknown) => log.error('shell session failed', { session_id: session.id, error: (e as Error).message }))
      .finally(() => this.running.delete(session.id));
    this.running.set(session.id, run);
    return true;
  }
}
