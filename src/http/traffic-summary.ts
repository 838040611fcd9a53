/**
 * The summary line (docs/operations.md#logs): with agent traffic no longer logged per request at info, the journal
 * still shows the server is alive and what it serves, one line every SUMMARY_INTERVAL_MS: requests
 * and heartbeats per second over the interval, requests in flight, nodes by state, queued execs.
 */
import type { ExecQueues } from '../actors/exec/queues.js';
import type { Fleet } from '../actors/node/fleet.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { Logger } from '../log.js';
import type { RequestRegistry } from './request-registry.js';

/** How often the summary line is written. */
export const SUMMARY_INTERVAL_MS = 5 * 60_000;

export interface SummaryDeps {
  clock: Clock;
  log: Logger;
  fleet: Fleet;
  execQueues: ExecQueues;
  requests: RequestRegistry;
}

const perS = (n: number, s: number): number => (s > 0 ? Math.round((n / s) * 1000) / 1000 : 0);

/** Writes the summary line every `intervalMs` until cancelled. */
export function startTrafficSummary(deps: SummaryDeps, intervalMs = SUMMARY_INTERVAL_MS): TimerHandle {
  const { clock, requests } = deps;
  let since = clock.mono();
  let last = { ...requests.answered };
  return clock.every(intervalMs, function writeSummary() {
    const now = clock.mono();
    const s = (now - since) / 1000;
    const a = requests.answered;
    const heartbeats = a.heartbeat - last.heartbeat;
    const agent = heartbeats + a.agent - last.agent;
    const operator = a.operator - last.operator;
    deps.log.info('summary', {
      interval_s: Math.round(s),
      heartbeats_per_s: perS(heartbeats, s),
      agent_requests_per_s: perS(agent, s),
      operator_requests_per_s: perS(operator, s),
      in_flight: requests.size,
      nodes: deps.fleet.stateCounts(),
      execs_queued: deps.execQueues.queuedTotal(),
      exec_stalled_nodes: deps.execQueues.stalledIds().length,
    });
    since = now;
    last = { ...a };
  });
}
