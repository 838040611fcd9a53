/**
 * `hydranode sim`: N simulated agents in one process, for load tests. Each is really enrolled
 * (admin `POST /enrollments`) and registered with its own token, with bounded concurrency, then
 * heartbeats every `heartbeat_interval_s` with jitter over one shared keep-alive pool. Instead of
 * one long-poll per node (10k sockets), a node fetches execs with `wait=0` only when a heartbeat
 * reply says `exec_pending > 0`, and answers each with exit 0 after `--exec-latency-ms`.
 * With `--long-poll` each node instead waits in `GET /body/exec?wait=` as a real agent does, so an
 * exec is answered at once (the fleet-exec bench). Long-polls get a pool of their own, one socket
 * per node, so they never hold the sockets heartbeats and registrations need (`--max-sockets`).
 * Each node has its own stop signal: thousands of waits never hang listeners on one shared signal.
 * Stats every 10 s and a final summary are JSON lines on stdout.
 */
import { arch } from 'node:os';
import { VERSION } from '../version.js';
import { ApiClient, ApiError, keepAliveAgent } from './api-client.js';
import { Backoff, jittered, sleep } from './backoff.js';
import { HEARTBEAT_JITTER, DEFAULT_HEARTBEAT_INTERVAL_S } from './heartbeat.js';
import { SimStats } from './sim-stats.js';
import type { HeartbeatBody } from '../wire/agent.js';
import { FLAG_NAMES, type FlagName } from '../wire/common.js';

/** Stats line interval. */
export const SIM_STATS_EVERY_MS = 10_000;
/** Enrollments and registrations in flight at once. */
export const DEFAULT_SIM_CONCURRENCY = 50;
/** Keep-alive connections shared by all simulated nodes' short requests (not the long-polls). */
export const DEFAULT_SIM_MAX_SOCKETS = 128;
/** Enrollment and registration are retried this often on transient errors before a node is given up. */
const SETUP_TRIES = 6;
const SETUP_BACKOFF = { initialMs: 200, maxMs: 5000 };
const MS_PER_S = 1000;
/** `--long-poll`: each node's `GET /body/exec?wait=` (the real agent's default). */
const SIM_POLL_WAIT_S = 25;
const SIM_POLL_RETRY_MS = 1000;

/** The options of `hydranode sim`. */
export interface SimOptions {
  server: string;
  adminToken: string;
  count: number;
  execLatencyMs: number;
  concurrency: number;
  maxSockets: number;
  /** Overrides the server's heartbeat_interval_s (tests). */
  intervalS?: number;
  /** Each node waits in an exec long-poll (as a real agent) instead of fetching on its heartbeat. */
  longPoll?: boolean;
  /** Stops after this long once all nodes are enrolled; else runs until `signal`. */
  durationS?: number;
  signal: AbortSignal;
  out: (line: string) => void;
}

interface SimNode {
  index: number;
  id: string;
  client: ApiClient;
  /** `--long-poll`: the same node token over the long-poll pool. */
  pollClient: ApiClient;
  /** Aborted when the sim stops: this node's waits and requests end. */
  stop: AbortController;
  intervalS: number;
  acks: FlagName[];
  fetching: boolean;
  timer: NodeJS.Timeout | null;
}

/** Runs `fn` over 0..n-1 with at most `limit` in flight. */
async function forEachLimit(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/**
 * Per-node stop signals, all aborted at once when the sim stops: each wait listens on its own
 * node's signal, so no signal ever carries more than a couple of listeners.
 */
class StopSignals {
  private readonly live = new Set<AbortController>();
  private stopped = false;

  open(): AbortController {
    const c = new AbortController();
    if (this.stopped) c.abort();
    else this.live.add(c);
    return c;
  }

  close(c: AbortController): void {
    this.live.delete(c);
  }

  abortAll(): void {
    this.stopped = true;
    for (const c of this.live) c.abort();
    this.live.clear();
  }
}

async function withRetries<T>(fn: () => Promise<T>, signal: AbortSignal): Promise<T> {
  const backoff = new Backoff(SETUP_BACKOFF);
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ApiError) || !e.transient || backoff.failures + 1 >= SETUP_TRIES || signal.aborted) throw e;
      await sleep(backoff.next(), signal);
    }
  }
}

const errorKind = (e: unknown): string => (e instanceof ApiError ? (e.status === null ? e.code : String(e.status)) : 'exception');

/** Enrolls the simulated fleet, runs it, prints stats and the summary; resolves with the summary. */
export async function runSim(o: SimOptions): Promise<Record<string, unknown>> {
  const pool = keepAliveAgent(o.server, o.maxSockets);
  // One socket per node for the long-polls, apart from the pool of short requests.
  const pollPool = o.longPoll ? keepAliveAgent(o.server, o.count) : pool;
  const admin = new ApiClient(o.server, o.adminToken, pool);
  const stops = new StopSignals();
  const stopAll = (): void => stops.abortAll();
  o.signal.addEventListener('abort', stopAll, { once: true });
  const stats = new SimStats();
  const nodes: SimNode[] = [];
  let stopped = false;
  let setupFailed = 0;
  const width = String(o.count).length;

  const body = (n: SimNode): HeartbeatBody => ({
    agent_version: VERSION,
    hostname: `sim-${String(n.index).padStart(width, '0')}`,
    os: 'linux',
    arch: arch(),
    lan_ip: `10.${(n.index >> 16) & 255}.${(n.index >> 8) & 255}.${n.index & 255}`,
    roles_applied: [],
    diagnostics: { simulated: true },
    ...(n.acks.length > 0 ? { ack_flags: n.acks } : {}),
  });

  const schedule = (n: SimNode, ms: number): void => {
    if (!stopped) n.timer = setTimeout(() => void beat(n), ms);
  };

  const answer = async (n: SimNode, order: { id: string }): Promise<void> => {
    const startedAt = new Date().toISOString();
    await sleep(o.execLatencyMs);
    const finishedAt = new Date().toISOString();
    await n.client.postExecResult({ id: order.id, exit_code: 0, stdout: '', stderr: '', started_at: startedAt, finished_at: finishedAt, timed_out: false, stdout_truncated: false, stderr_truncated: false });
    stats.exec();
  };

  const answerExecs = async (n: SimNode): Promise<void> => {
    n.fetching = true;
    try {
      for (let order = await n.client.nextExec(0); order && !stopped; order = await n.client.nextExec(0)) await answer(n, order);
    } catch (e) {
      stats.window.error(`exec_${errorKind(e)}`);
    } finally {
      n.fetching = false;
    }
  };

  /** `--long-poll`: one exec long-poll per node, for as long as the sim runs. */
  const pollLoop = async (n: SimNode): Promise<void> => {
    const signal = n.stop.signal;
    while (!stopped && !signal.aborted) {
      try {
        const order = await n.pollClient.nextExec(SIM_POLL_WAIT_S, signal);
        if (order && !stopped) await answer(n, order);
      } catch (e) {
        if (stopped || signal.aborted) return;
        stats.window.error(`exec_${errorKind(e)}`);
        await sleep(SIM_POLL_RETRY_MS, signal);
      }
    }
  };

  async function beat(n: SimNode, first = false): Promise<void> {
    if (stopped) return;
    const sent = body(n);
    const t0 = performance.now();
    try {
      const reply = await n.client.heartbeat(sent);
      stats.beat(performance.now() - t0, true);
      n.acks = FLAG_NAMES.filter((f) => reply.flags[f]);
      if (o.intervalS === undefined && reply.heartbeat_interval_s) n.intervalS = reply.heartbeat_interval_s;
      if (!o.longPoll && reply.exec_pending > 0 && !n.fetching) void answerExecs(n);
    } catch (e) {
      stats.beat(performance.now() - t0, false, errorKind(e));
    }
    // After the first beat, a uniform offset spreads the fleet evenly over the interval.
    const next = first ? Math.random() * n.intervalS * MS_PER_S : jittered(n.intervalS * MS_PER_S, HEARTBEAT_JITTER);
    schedule(n, next);
  }

  const t0 = performance.now();
  await forEachLimit(o.count, o.concurrency, async (i) => {
    if (o.signal.aborted) return;
    const stop = stops.open();
    try {
      const name = `sim-${String(i).padStart(width, '0')}`;
      const enr = await withRetries(() => admin.enroll({ name, owner: 'hydranode-sim', os: 'linux' }), stop.signal);
      const reg = await withRetries(() => admin.withToken(enr.enrollment_token).register({ hostname: name, os: 'linux', arch: arch(), agent_version: VERSION }), stop.signal);
      const intervalS = o.intervalS ?? reg.heartbeat_interval_s ?? DEFAULT_HEARTBEAT_INTERVAL_S;
      const client = admin.withToken(reg.token);
      const pollClient = new ApiClient(o.server, reg.token, pollPool);
      const n: SimNode = { index: i, id: reg.node_id, client, pollClient, stop, intervalS, acks: [], fetching: false, timer: null };
      nodes.push(n);
      await beat(n, true);
      if (o.longPoll) void pollLoop(n);
    } catch (e) {
      stops.close(stop);
      setupFailed++;
      if (setupFailed <= 3) o.out(JSON.stringify({ type: 'setup_error', node: i, error: (e as Error).message }));
    }
  });
  const enrollS = (performance.now() - t0) / MS_PER_S;
  o.out(JSON.stringify({ type: 'enrolled', nodes: nodes.length, failed: setupFailed, seconds: Math.round(enrollS * 10) / 10 }));

  stats.reset();
  const ticker = setInterval(() => o.out(JSON.stringify({ type: 'stats', nodes: nodes.length, ...stats.roll() })), SIM_STATS_EVERY_MS);
  if (o.durationS !== undefined) await sleep(o.durationS * MS_PER_S, o.signal);
  else if (!o.signal.aborted) await new Promise<void>((r) => o.signal.addEventListener('abort', () => r(), { once: true }));

  stopped = true;
  o.signal.removeEventListener('abort', stopAll);
  stopAll();
  clearInterval(ticker);
  for (const n of nodes) if (n.timer) clearTimeout(n.timer);
  const summary = { type: 'summary', nodes: nodes.length, setup_failed: setupFailed, enroll_s: Math.round(enrollS * 10) / 10, ...stats.run.summary() };
  stats.close();
  o.out(JSON.stringify(summary));
  pool.destroy();
  pollPool.destroy();
  return summary;
}
