/**
 * The heartbeat tick (docs/api.md#agents-heartbeat-flags-and-the-provision-poll `POST /body/heartbeat`): every `heartbeat_interval_s` (the server's
 * number, from each reply) with ±20 % jitter. When the server is away or slow — connection
 * errors, timeouts, 5xx — it backs off with jitter (1 s doubling to 60 s) and keeps trying
 * forever: it never exits and never touches the host (runbook: the network-recovery misfire).
 * A refused token (401: the node was deleted) is logged clearly and retried slowly, because an
 * operator may restore nodes.yaml.
 */
import type { Logger } from '../log.js';
import { ApiError, type ApiClient } from './api-client.js';
import { Backoff, RETRY_JITTER, SERVER_BACKOFF, UNAUTHORIZED_RETRY_MS, jittered, sleep, type BackoffOptions, type Random } from './backoff.js';
import type { HeartbeatBody, HeartbeatReply } from '../wire/agent.js';

/** ±20 % around the interval, so a fleet started together spreads out. */
export const HEARTBEAT_JITTER = 0.2;
/** Until the server tells its interval (docs/operations.md#the-home-folder default). */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 30;
const MS_PER_S = 1000;

/** What the heartbeat loop needs; `backoff`, `unauthorizedRetryMs` and `random` are for tests. */
export interface HeartbeatDeps {
  client: ApiClient;
  log: Logger;
  /** The body of the next heartbeat, built fresh for each tick. */
  body(): HeartbeatBody;
  /** Called with each accepted heartbeat and what it carried; should return quickly. */
  onReply(reply: HeartbeatReply, sent: HeartbeatBody): void;
  intervalS?: number;
  backoff?: BackoffOptions;
  unauthorizedRetryMs?: number;
  random?: Random;
  /** Waits between heartbeats (tests record the delays instead of timing them). */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The heartbeat tick: start() once, nudge() to send early, stop() at shutdown. */
export class HeartbeatLoop {
  private readonly stopping = new AbortController();
  private wake = new AbortController();
  private loop: Promise<void> | null = null;
  private intervalS: number;
  private lastState: string | null = null;
  private refused = false;
  /** Accepted heartbeats since start. */
  beats = 0;

  constructor(private readonly deps: HeartbeatDeps) {
    this.intervalS = deps.intervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Sends the next heartbeat now instead of at the end of the interval (e.g. an ack is owed). */
  nudge(): void {
    this.wake.abort();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log } = this.deps;
    const backoff = new Backoff(this.deps.backoff ?? SERVER_BACKOFF);
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let delay: number;
      this.wake = new AbortController();
      try {
        const sent = this.deps.body();
        const reply = await this.deps.client.heartbeat(sent, signal);
        this.beats++;
        if (reply.heartbeat_interval_s) this.intervalS = reply.heartbeat_interval_s;
        if (backoff.failures > 0 || this.refused) log.info('server reachable again', { after_failures: backoff.failures, state: reply.state });
        else if (reply.state !== this.lastState) log.info('node state', { state: reply.state, node_id: reply.node_id });
        backoff.reset();
        this.refused = false;
        this.lastState = reply.state;
        this.deps.onReply(reply, sent);
        delay = jittered(this.intervalS * MS_PER_S, HEARTBEAT_JITTER, this.deps.random);
      } catch (e) {
        if (signal.aborted) break;
        delay = this.failed(e, backoff);
      }
      await (this.deps.sleep ?? sleep)(delay, AbortSignal.any([signal, this.wake.signal]));
    }
  }

  /** Logs a failed heartbeat; returns how long to wait before the next one. */
  private failed(e: unknown, backoff: Backoff): number {
    const { log } = this.deps;
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) {
      const delay = jittered(this.deps.unauthorizedRetryMs ?? UNAUTHORIZED_RETRY_MS, RETRY_JITTER, this.deps.random);
      log.error('the server refuses this node\'s token: the node was deleted or its token replaced; retrying slowly (restore nodes.yaml, or re-enroll with `hydranode install`)', {
        status: e.status,
        retry_in_ms: delay,
      });
      this.refused = true;
      return delay;
    }
    const delay = backoff.next();
    const fields = { status: e instanceof ApiError ? e.status : null, error: (e as Error).message, failures: backoff.failures, retry_in_ms: delay };
    if (e instanceof ApiError && e.transient) log.warn('heartbeat failed: server away or slow; backing off', fields);
    else log.error('heartbeat refused or failed unexpectedly; backing off', fields);
    return delay;
  }
}
